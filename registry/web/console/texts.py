"""The console's words in Russian and English. A key missing in one language falls back to
the other, then to the key itself, so a page never fails over a missing phrase."""

from __future__ import annotations

from typing import Any, Final

_ERRORS: Final[dict[str, tuple[str, str]]] = {
    "error.not_found.title": ("Не найдено", "Not found"),
    "error.not_found.text": (
        "Здесь нет такой записи — или она не вашей организации.",
        "There is no such record here, or it is not your organisation's.",
    ),
    "error.csrf.title": ("Форма не принята", "Form not accepted"),
    "error.csrf.text": (
        "У формы нет действительного CSRF-токена (она устарела или отправлена не из этой "
        "консоли). Ничего не изменено. Откройте страницу заново и повторите.",
        "The form carries no valid CSRF token (it is stale or was not sent from this console). "
        "Nothing was changed. Open the page again and retry.",
    ),
    "error.unknown_parameters.title": ("Неизвестные поля", "Unknown fields"),
    "error.unknown_parameters.text": (
        "Страница не знает этих параметров; ничего не сделано:",
        "This page does not know these parameters; nothing was done:",
    ),
    "error.bad_values.title": ("Неверные значения", "Invalid values"),
    "error.bad_values.text": (
        "Эти поля заполнены неверно; ничего не изменено:",
        "These fields have values the page cannot take; nothing was changed:",
    ),
    "error.scope.title": ("Нет доступа", "No access"),
    "error.scope.text": (
        "Ваш токен не открывает эту страницу. Нужна одна из областей (scope):",
        "Your token does not open this page. It needs one of these scopes:",
    ),
    "error.four_eyes.title": ("Нужен второй человек", "A second person is needed"),
    "error.four_eyes.text": (
        "Версию, которую вы подали, одобряет или отклоняет другой проверяющий. Ничего не изменено.",
        "A version you submitted is approved or rejected by another reviewer. Nothing was changed.",
    ),
    "error.erased.title": ("Клиент стёрт", "Customer erased"),
    "error.erased.text": (
        "Данные этого клиента уже уничтожены; изменить его нельзя.",
        "This customer's data has been destroyed; the customer cannot be changed.",
    ),
    "error.conflict.title": ("Конфликт", "Conflict"),
    "error.conflict.text": (
        "Запись уже в другом состоянии; ничего не изменено.",
        "The record is in another state already; nothing was changed.",
    ),
    "error.invalid.title": ("Запрос не принят", "Request refused"),
    "error.invalid.text": ("Ничего не изменено.", "Nothing was changed."),
    "error.api.title": ("Запрос не принят", "Request refused"),
    "error.api.text": ("Ничего не изменено.", "Nothing was changed."),
    "error.http.title": ("Запрос не принят", "Request refused"),
    "error.http.text": ("Ничего не изменено.", "Nothing was changed."),
    "error.erase_mismatch.title": ("Подтверждение не совпало", "Confirmation does not match"),
    "error.erase_mismatch.text": (
        "Чтобы стереть клиента, введите его идентификатор точно. Ничего не стёрто.",
        "To erase a customer, type their id exactly. Nothing was erased.",
    ),
    "error.back_to_customer": ("Вернуться к клиенту", "Back to the customer"),
    "error.home": ("На главную консоли", "Console home"),
}

_PAGES: Final[dict[str, tuple[str, str]]] = {
    "brand": ("Реестр согласий · консоль", "Consent registry · console"),
    "skip": ("К содержанию", "Skip to content"),
    "sign_out": ("Выйти", "Sign out"),
    "switch_language": ("English", "Русский"),
    "nav.label": ("Разделы", "Sections"),
    "nav.queue": ("Очередь проверки", "Review queue"),
    "nav.queue.about": ("Версии шаблонов, ждущие решения", "Template versions awaiting a decision"),
    "nav.templates": ("Шаблоны", "Templates"),
    "nav.templates.about": ("Статусы, качество, история", "Status, quality, history"),
    "nav.customers": ("Клиенты", "Customers"),
    "nav.customers.about": (
        "Поиск, согласия, события, стирание",
        "Look-up, consents, events, erasure",
    ),
    "nav.policy": ("Политика", "Policy"),
    "nav.policy.about": ("Правила отправки и все их версии", "Sending rules and every version"),
    "nav.limits": ("Лимиты", "Limits"),
    "nav.limits.about": ("Лимиты рассылок по каналам", "Messaging limits per channel"),
    "nav.experiments": ("Эксперименты", "Experiments"),
    "nav.experiments.about": ("A/B-тесты шаблонов", "A/B tests of templates"),
    "nav.reports": ("Отчёты", "Reports"),
    "nav.reports.about": ("Ежемесячный обзор", "Monthly review"),
    "nav.audit": ("Аудит", "Audit"),
    "nav.audit.about": (
        "Контрольная точка, выгрузки, проверка",
        "Checkpoint, exports, verification",
    ),
    "sign_in.title": ("Вход", "Sign in"),
    "sign_in.intro": (
        "Вставьте ваш API-токен. Он определяет организацию и права; сессия длится не больше "
        "8 часов и не дольше срока токена.",
        "Paste your API token. It decides your organisation and rights; the session lasts at "
        "most 8 hours and never past the token's expiry.",
    ),
    "sign_in.token": ("API-токен", "API token"),
    "sign_in.hint": (
        "Токен не сохраняется в браузере в открытом виде.",
        "The token is not kept readable in the browser.",
    ),
    "sign_in.button": ("Войти", "Sign in"),
    "sign_in.expired": (
        "Сессия закончилась или недействительна. Войдите снова.",
        "Your session has ended or is not valid. Please sign in again.",
    ),
    "sign_in.error.unauthorized": ("Вставьте токен.", "Paste a token."),
    "sign_in.error.invalid_token": ("Токен недействителен.", "The token is not valid."),
    "sign_in.error.token_expired": ("Срок токена истёк.", "The token has expired."),
    "sign_in.error.token_revoked": ("Токен отозван.", "The token has been revoked."),
    "signed_out.title": ("Вы вышли", "You are signed out"),
    "signed_out.text": (
        "Сессия завершена; её cookie больше ничего не открывает.",
        "The session has ended; its cookie opens nothing any more.",
    ),
    "home.title": ("Консоль", "Console"),
    "home.signed_in_as": ("Вы вошли как", "Signed in as"),
    "home.tenant": ("организация", "organisation"),
    "home.scopes": ("Права токена:", "Token scopes:"),
    "home.nothing": (
        "Ваш токен не открывает ни одного раздела консоли.",
        "Your token opens no section of the console.",
    ),
    "flash.reviewed.approve": ("Версия одобрена.", "Version approved."),
    "flash.reviewed.reject": ("Версия отклонена.", "Version rejected."),
    "flash.template.paused": ("Шаблон приостановлен.", "Template paused."),
    "flash.template.resumed": ("Шаблон возобновлён.", "Template resumed."),
    "flash.template.disabled": ("Шаблон отключён.", "Template disabled."),
    "flash.customer.erased": ("Данные клиента стёрты.", "The customer's data was erased."),
    "flash.policy.saved": ("Политика сохранена.", "Policy saved."),
    "queue.empty": ("Нет версий, ждущих проверки.", "No version is awaiting review."),
    "queue.submitted_by": ("подал(а)", "submitted by"),
    "queue.lint": ("Замечания проверки текста", "Lint findings"),
    "queue.diff": ("Отличия от одобренной версии", "Differences from the approved version"),
    "queue.diff_against": (
        "Слева одобренная версия {version}.",
        "Left: approved version {version}.",
    ),
    "queue.no_approved": ("Одобренной версии ещё нет.", "No version is approved yet."),
    "queue.nothing_approved": ("(нет одобренной)", "(none approved)"),
    "queue.reason": ("Причина решения", "Reason for the decision"),
    "queue.approve": ("Одобрить", "Approve"),
    "queue.reject": ("Отклонить", "Reject"),
    "queue.own": (
        "Эту версию подали вы: решение принимает другой проверяющий.",
        "You submitted this version: another reviewer decides it.",
    ),
    "diff.added": ("добавлено:", "added:"),
    "diff.removed": ("убрано:", "removed:"),
    "lint.error": ("ошибка", "error"),
    "lint.warning": ("предупреждение", "warning"),
    "lint.none": ("Замечаний нет.", "No findings."),
    "templates.empty": ("Шаблонов пока нет.", "No templates yet."),
    "template.name": ("Шаблон", "Template"),
    "template.status": ("Статус", "Status"),
    "template.platform_status": ("Статус на платформе", "Platform status"),
    "template.quality": ("Качество", "Quality"),
    "template.approved_version": ("Одобренная версия", "Approved version"),
    "template.category": ("Категория и цель", "Category and purpose"),
    "template.version": ("версия", "version"),
    "template.versions": ("Версии", "Versions"),
    "template.actions": ("Действия", "Actions"),
    "template.reason_for.pause": ("Причина приостановки", "Reason to pause"),
    "template.reason_for.resume": ("Причина возобновления", "Reason to resume"),
    "template.reason_for.disable": ("Причина отключения", "Reason to disable"),
    "template.do.pause": ("Приостановить", "Pause"),
    "template.do.resume": ("Возобновить", "Resume"),
    "template.do.disable": ("Отключить", "Disable"),
    "template.review_approve": ("Одобрено", "Approved"),
    "template.review_reject": ("Отклонено", "Rejected"),
    "template.quality_history": ("История качества", "Quality history"),
    "template.no_quality": (
        "Платформа ещё не сообщала о качестве.",
        "The platform has not reported quality yet.",
    ),
    "template.platform_history": ("Статусы платформы", "Platform statuses"),
    "template.no_platform": (
        "Платформа ещё не сообщала статус.",
        "The platform has not reported a status yet.",
    ),
    "template.stats": ("Статистика отправок", "Send statistics"),
    "template.history": ("История событий", "Event history"),
    "stats.metric": ("Показатель", "Figure"),
    "stats.total": ("Всего", "Total"),
    "history.actor": ("кто:", "by"),
    "history.more": ("Следующие события", "Next events"),
    "history.none": ("Событий нет.", "No events."),
    "customers.by_id": ("По идентификатору", "By id"),
    "customers.by_phone": ("По телефону", "By phone"),
    "customers.customer_id": ("Идентификатор клиента", "Customer id"),
    "customers.phone": ("Телефон", "Phone"),
    "customers.phone_hint": (
        "В международном виде, например +79123456789.",
        "In international form, e.g. +79123456789.",
    ),
    "customers.phone_error": ("Это не номер телефона.", "This is not a phone number."),
    "customers.find": ("Найти", "Find"),
    "customer.title": ("Клиент", "Customer"),
    "customer.is_erased": (
        "Данные клиента стёрты: события остались, личные данные не читаются.",
        "This customer is erased: the events remain, their personal data cannot be read.",
    ),
    "customer.is_suppressed": (
        "Клиенту ничего не отправляется, кроме кодов подтверждения.",
        "This customer is sent nothing but verification codes.",
    ),
    "customer.erased_value": ("стёрто", "erased"),
    "customer.timezone": ("Часовой пояс", "Time zone"),
    "customer.locale": ("Язык", "Locale"),
    "customer.last_inbound": ("Последнее входящее", "Last inbound message"),
    "customer.consents": ("Согласия", "Consents"),
    "customer.no_consents": ("Согласий нет.", "No consents."),
    "customer.channel": ("Канал", "Channel"),
    "customer.purpose": ("Цель", "Purpose"),
    "customer.status": ("Статус", "Status"),
    "customer.granted_at": ("Дано", "Granted"),
    "customer.withdrawn_at": ("Отозвано", "Withdrawn"),
    "customer.source": ("Источник", "Source"),
    "customer.timeline": ("Все события клиента", "Every event of this customer"),
    "consent.granted": ("дано", "granted"),
    "consent.withdrawn": ("отозвано", "withdrawn"),
    "consent.expired": ("истекло", "expired"),
    "consent.pending": ("ждёт подтверждения", "pending"),
    "erase.title": ("Стереть клиента", "Erase this customer"),
    "erase.text": (
        "Ключ данных клиента будет уничтожен: телефон, свидетельства и тексты станут нечитаемыми "
        "везде. Это нельзя отменить.",
        "The customer's data key is destroyed: phone, evidence and free text become unreadable "
        "everywhere. This cannot be undone.",
    ),
    "erase.confirm_label": ("Для подтверждения введите", "To confirm, type"),
    "erase.reason": ("Основание (например, номер запроса)", "Grounds (e.g. the request number)"),
    "erase.button": ("Стереть навсегда", "Erase for good"),
    "policy.current_version": ("Текущая версия политики:", "Current policy version:"),
    "policy.refused": (
        "Политика не сохранена: исправьте отмеченные поля.",
        "The policy was not saved: correct the marked fields.",
    ),
    "policy.display_name": ("Название для клиентов", "Name customers see"),
    "policy.timezone": ("Часовой пояс по умолчанию (IANA)", "Default time zone (IANA)"),
    "policy.send_window": ("Время отправки (местное)", "Sending hours (local time)"),
    "policy.any_time": ("В любое время суток", "Any time of day"),
    "policy.window_start": ("С", "From"),
    "policy.window_end": ("До", "Until"),
    "policy.window_hint": (
        "Не учитывается, если отмечено «в любое время».",
        "Ignored when “any time” is ticked.",
    ),
    "policy.send_days": ("Дни отправки", "Sending days"),
    "policy.holidays": ("Праздники страны (ISO-код)", "Public holidays of (ISO country code)"),
    "policy.holidays_hint": ("Например RU; пусто — без праздников.", "E.g. RU; empty for none."),
    "policy.daily_limit": (
        "Рекламных сообщений клиенту в день",
        "Marketing messages per customer a day",
    ),
    "policy.daily_limit_hint": ("Пусто — без лимита.", "Empty for no limit."),
    "policy.service_window_hours": ("Сервисное окно, часов", "Service window, hours"),
    "policy.max_emoji": ("Не больше эмодзи в тексте", "Most emoji in a body"),
    "policy.section": ("Раздел", "Section"),
    "policy.save": ("Сохранить политику", "Save the policy"),
    "policy.read_only": (
        "Ваш токен позволяет только читать политику.",
        "Your token may only read the policy.",
    ),
    "policy.history": ("Все версии политики", "Every version of the policy"),
    "policy.version": ("Версия", "Version"),
    "policy.request": ("запрос", "request"),
    "policy.no_change": ("Без изменений.", "No change."),
    "policy.defaults": (
        "Политика ещё не менялась: действуют значения по умолчанию.",
        "The policy has never been changed: the defaults apply.",
    ),
    "day.mon": ("пн", "Mon"),
    "day.tue": ("вт", "Tue"),
    "day.wed": ("ср", "Wed"),
    "day.thu": ("чт", "Thu"),
    "day.fri": ("пт", "Fri"),
    "day.sat": ("сб", "Sat"),
    "day.sun": ("вс", "Sun"),
    "audit.checkpoint": ("Текущая контрольная точка", "Current checkpoint"),
    "audit.origin": ("Журнал", "Log"),
    "audit.tree_size": ("Событий в журнале", "Events in the log"),
    "audit.root_hash": ("Корневой хеш", "Root hash"),
    "audit.key_id": ("Ключ", "Key"),
    "audit.note": ("Подписанная запись", "Signed note"),
    "audit.downloads": ("Выгрузки", "Downloads"),
    "audit.jsonl": (
        "Весь журнал, JSON lines с доказательствами",
        "The whole trail, JSON lines with proofs",
    ),
    "audit.csv": ("Весь журнал, CSV", "The whole trail, CSV"),
    "audit.public_key": ("Открытый ключ аудита (PEM)", "Audit public key (PEM)"),
    "audit.filtered": ("Выгрузка с фильтром", "Filtered download"),
    "audit.template_filter": ("Шаблон", "Template"),
    "audit.template_hint": ("name или name/language", "name or name/language"),
    "audit.format": ("Формат", "Format"),
    "audit.download": ("Скачать", "Download"),
    "audit.verify": ("Как проверить без нас", "How to verify without us"),
    "audit.verify_text": (
        "Скачайте журнал в JSON lines и открытый ключ, затем на любом компьютере с кодом "
        "реестра выполните:",
        "Download the JSON lines trail and the public key, then on any computer with the "
        "registry's code run:",
    ),
    "audit.verify_after": (
        "Код 0 — подпись и каждое доказательство верны; иначе команда называет номер первой "
        "неверной строки.",
        "Exit code 0: the signature and every proof hold; otherwise the command names the "
        "first failing line by its number.",
    ),
    "limits.configured": ("Задано", "Configured"),
    "limits.platform": ("Платформа", "Platform"),
    "limits.effective": ("Действует", "Effective"),
    "limits.customers_24h": ("Клиентов за 24 ч", "Customers in 24 h"),
    "limits.complaint_rate": ("Доля жалоб", "Complaint rate"),
    "limits.opt_out_rate": ("Доля отписок", "Opt-out rate"),
    "limits.reasons": ("Почему", "Why"),
    "not_built.outcomes": (
        "Учёт результатов отправок (R-OUTCOME) на этом сервере ещё не построен: цифр нет.",
        "Send outcomes (R-OUTCOME) are not built on this server yet: there are no figures.",
    ),
    "not_built.limits": (
        "Лимиты по жалобам (R-THROTTLE) на этом сервере ещё не построены: цифр нет.",
        "Limits lowered on complaints (R-THROTTLE) are not built on this server yet: there are "
        "no figures.",
    ),
    "not_built.experiments": (
        "A/B-тесты (R-EXPERIMENT) на этом сервере ещё не построены.",
        "A/B tests (R-EXPERIMENT) are not built on this server yet.",
    ),
    "not_built.reports": (
        "Ежемесячный обзор (R-REPORT) на этом сервере ещё не построен.",
        "The monthly review (R-REPORT) is not built on this server yet.",
    ),
    "not_built.no_figures": (
        "Консоль не показывает придуманных цифр: раздел заработает, когда {requirement} появится в реестре.",
        "The console shows no invented figures: this page fills in once {requirement} is in the registry.",
    ),
}

TEXTS: Final = {**_PAGES, **_ERRORS}


def text(lang: str, key: str, **values: Any) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        return key
    phrase = pair[1] if lang == "en" else pair[0]
    return phrase.format(**values) if values else phrase
