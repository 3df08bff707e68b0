"""Every R-DECIDE rule, each a pure function of facts, policy and moment that answers the
reason codes it fails (codes and their one order: `registry.domain.reasons`).

| codes                                            | function                          | module          |
| ------------------------------------------------ | --------------------------------- | --------------- |
| customer_erased, customer_suppressed             | `customer_reasons`                | customer.py     |
| template_not_found … channel_not_supported       | `template_reasons`                | template.py     |
| no_consent, consent_withdrawn, consent_expired   | `consent_reasons` (`consent_status`) | consent.py   |
| outside_send_window, outside_send_days, holiday  | `failing_time_rules`              | schedule.py     |
| daily_limit_reached                              | `limit_reached` (`day_is_full_for`)  | daily_limit.py |
| messaging_limit_reached, platform_user_cap       | `feedback_reasons` (`held_until`) | messaging_limit.py |
| experiment_control, experiment_stopped           | `choose_arm` (`assign_arm`)       | experiment.py, assignment.py |
| pilot_in_progress                                | `pilot_reasons` (`held_pilot`)    | pilot.py        |
| outside_service_window (and no_consent)          | `service_window_reasons`          | service_window.py |

`registry.domain.decision.decide_all` asks each rule that applies and sorts the codes; a new
rule is a function here, answering its constant of `reasons`, called from the decision's
frame (`DecisionFrame`: what depends only on template, channel, policy and moment, asked
once per batch) or its per-customer step (`_decide_one`).
"""
