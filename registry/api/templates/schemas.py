"""Shapes of `/v1/templates` (SPEC §4): WhatsApp's own template format plus our `purpose`.

These schemas judge the shape only; a wrong shape is a 422 that records nothing. What the
text says, its length, its placeholders and their examples are judged by lint
(`registry.domain.lint`), which answers 201 with findings instead.

Each component and button type accepts only the fields the platform gives it; a field that
belongs to another type is refused as unknown. Enumerated platform values (category,
component and button types, header format, `otp_type`, `parameter_format`) are accepted in
any letter case, as the platform does, and loaded in upper case. `purpose` is ours and exact.
AUTHENTICATION templates may leave BODY and FOOTER text to the platform
(`add_security_recommendation`, `code_expiration_minutes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from registry.domain.vocabulary import CATEGORIES, PURPOSES, normalise_language

COMPONENT_TYPES: Final = ("HEADER", "BODY", "FOOTER", "BUTTONS")
HEADER_FORMATS: Final = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION")
MEDIA_FORMATS: Final = ("IMAGE", "VIDEO", "DOCUMENT")
BUTTON_TYPES: Final = ("QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "OTP")
OTP_TYPES: Final = ("COPY_CODE", "ONE_TAP", "ZERO_TAP")
PARAMETER_FORMATS: Final = ("POSITIONAL", "NAMED")
SEVERITIES: Final = ("error", "warning")

NAME_PATTERN: Final = r"^[a-z0-9_]{1,512}\Z"
LANGUAGE_PATTERN: Final = r"^[a-z]{2,3}(?:[_-](?:[A-Z]{2}|[A-Z][a-z]{3}))?\Z"

UNKNOWN_FIELD: Final = "Unknown field."
MISSING_FIELD: Final = "Missing data for required field."

COMPONENT_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "HEADER": frozenset({"type", "format", "text", "example"}),
    "BODY": frozenset({"type", "text", "example", "add_security_recommendation"}),
    "FOOTER": frozenset({"type", "text", "code_expiration_minutes"}),
    "BUTTONS": frozenset({"type", "buttons"}),
}
EXAMPLE_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "TEXT": frozenset({"header_text", "header_text_named_params"}),
    "MEDIA": frozenset({"header_handle"}),
    "BODY": frozenset({"body_text", "body_text_named_params"}),
}
BUTTON_FIELDS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    # type: (required, allowed besides the required)
    "QUICK_REPLY": (frozenset({"text"}), frozenset()),
    "URL": (frozenset({"text", "url"}), frozenset({"example"})),
    "PHONE_NUMBER": (frozenset({"text", "phone_number"}), frozenset()),
    "COPY_CODE": (frozenset({"example"}), frozenset({"text"})),
    "OTP": (
        frozenset({"otp_type"}),
        frozenset(
            {
                "text",
                "autofill_text",
                "package_name",
                "signature_hash",
                "supported_apps",
                "zero_tap_terms_accepted",
            }
        ),
    ),
}
AUTHENTICATION_ONLY: Final = ("add_security_recommendation", "code_expiration_minutes")


class Choice(fields.String):
    """A platform enumeration: any letter case in, upper case out."""

    def __init__(self, choices: Sequence[str], **kwargs: Any) -> None:
        super().__init__(validate=validate.OneOf(choices), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).upper()


class StringOrStrings(fields.Field[str | list[str]]):
    """A button example: one string (COPY_CODE) or a list of strings (URL)."""

    default_error_messages = {"invalid": "Not a valid string or list of strings."}

    def __init__(self, **kwargs: Any) -> None:
        one_of = [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        metadata = {"oneOf": one_of, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str | list[str]:
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(value)
        raise self.make_error("invalid")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _refuse_fields(data: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, list[str]]:
    return {key: [UNKNOWN_FIELD] for key in data if key not in allowed}


class NamedParamSchema(StrictSchema):
    param_name = fields.String(required=True)
    example = fields.String(required=True)


class ComponentExampleSchema(StrictSchema):
    header_text = fields.List(fields.String())
    header_text_named_params = fields.List(fields.Nested(NamedParamSchema))
    header_handle = fields.List(fields.String(), validate=validate.Length(min=1))
    body_text = fields.List(fields.List(fields.String()))
    body_text_named_params = fields.List(fields.Nested(NamedParamSchema))


class SupportedAppSchema(StrictSchema):
    package_name = fields.String(required=True)
    signature_hash = fields.String(required=True)


class ButtonSchema(StrictSchema):
    type = Choice(BUTTON_TYPES, required=True)
    text = fields.String()
    url = fields.String(metadata={"description": "URL buttons; may end in {{1}}."})
    phone_number = fields.String(metadata={"description": "PHONE_NUMBER buttons."})
    example = StringOrStrings(
        metadata={"description": "URL: [full example url]; COPY_CODE: the example code."}
    )
    otp_type = Choice(OTP_TYPES)
    autofill_text = fields.String()
    package_name = fields.String()
    signature_hash = fields.String()
    supported_apps = fields.List(fields.Nested(SupportedAppSchema))
    zero_tap_terms_accepted = fields.Boolean()

    @validates_schema
    def fits_button_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        required, optional = BUTTON_FIELDS[data["type"]]
        errors = _refuse_fields(data, required | optional | {"type"})
        errors.update({key: [MISSING_FIELD] for key in sorted(required) if key not in data})
        example = data.get("example")
        if data["type"] == "URL" and isinstance(example, str):
            errors["example"] = ["Not a valid list."]
        if data["type"] == "COPY_CODE" and isinstance(example, list):
            errors["example"] = ["Not a valid string."]
        if errors:
            raise ValidationError(errors)


class ComponentSchema(StrictSchema):
    type = Choice(COMPONENT_TYPES, required=True)
    format = Choice(HEADER_FORMATS, metadata={"description": "HEADER only; default TEXT."})
    text = fields.String()
    example = fields.Nested(ComponentExampleSchema)
    buttons = fields.List(fields.Nested(ButtonSchema), validate=validate.Length(min=1))
    add_security_recommendation = fields.Boolean(metadata={"description": "AUTHENTICATION BODY"})
    code_expiration_minutes = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=90),
        metadata={"description": "AUTHENTICATION FOOTER"},
    )

    @validates_schema
    def fits_component_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data["type"]
        errors = _refuse_fields(data, COMPONENT_FIELDS[kind])
        if kind == "HEADER":
            errors.update(_header_errors(data))
        elif kind == "BODY":
            errors.update(_example_errors(data.get("example"), EXAMPLE_FIELDS["BODY"]))
        elif kind == "FOOTER" and "text" not in data and "code_expiration_minutes" not in data:
            errors["text"] = [MISSING_FIELD]
        elif kind == "BUTTONS" and "buttons" not in data:
            errors["buttons"] = [MISSING_FIELD]
        if errors:
            raise ValidationError(errors)

    @post_load
    def default_header_format(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data["type"] == "HEADER":
            data.setdefault("format", "TEXT")
        return data


def _example_errors(example: object, allowed: frozenset[str]) -> dict[str, Any]:
    refused = _refuse_fields(example, allowed) if isinstance(example, Mapping) else {}
    return {"example": refused} if refused else {}


def _header_errors(header: Mapping[str, Any]) -> dict[str, Any]:
    header_format = header.get("format", "TEXT")
    if header_format == "TEXT":
        errors = _example_errors(header.get("example"), EXAMPLE_FIELDS["TEXT"])
        return errors if "text" in header else {**errors, "text": [MISSING_FIELD]}
    refused = {"text": [f"Not allowed in a {header_format} header."]} if "text" in header else {}
    if header_format == "LOCATION":
        if "example" in header:
            refused["example"] = ["Not allowed in a LOCATION header."]
        return refused
    example = header.get("example")
    if not isinstance(example, Mapping) or "header_handle" not in example:
        return {**refused, "example": {"header_handle": [MISSING_FIELD]}}
    return {**refused, **_example_errors(example, EXAMPLE_FIELDS["MEDIA"])}


class TemplateSubmissionSchema(StrictSchema):
    """`POST /v1/templates`; loads a plain JSON-ready dict."""

    name = fields.String(
        required=True,
        validate=validate.Regexp(NAME_PATTERN, error="Must match [a-z0-9_]{{1,512}}."),
    )
    language = fields.String(
        required=True,
        validate=validate.Regexp(
            LANGUAGE_PATTERN, error="Must be a language code such as en_US, en-US or ru."
        ),
    )
    category = Choice(CATEGORIES, required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    parameter_format = Choice(PARAMETER_FORMATS)
    components = fields.List(
        fields.Nested(ComponentSchema), required=True, validate=validate.Length(min=1)
    )

    @validates_schema
    def components_fit_together(self, data: dict[str, Any], **kwargs: Any) -> None:
        components: list[dict[str, Any]] = data["components"]
        kinds = [component["type"] for component in components]
        messages = [
            f"At most one {kind} component." for kind in COMPONENT_TYPES if kinds.count(kind) > 1
        ]
        if "BODY" not in kinds:
            messages.append("A BODY component is required.")
        if messages:
            raise ValidationError(messages, field_name="components")
        authentication = data["category"] == "AUTHENTICATION"
        errors: dict[int, dict[str, list[str]]] = {}
        for index, component in enumerate(components):
            problems: dict[str, list[str]] = {}
            if component["type"] == "BODY" and "text" not in component and not authentication:
                problems["text"] = [MISSING_FIELD]
            for key in AUTHENTICATION_ONLY:
                if key in component and not authentication:
                    problems[key] = ["Only AUTHENTICATION templates take this field."]
            if problems:
                errors[index] = problems
        if errors:
            raise ValidationError({"components": errors})

    @post_load
    def normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["language"] = normalise_language(data["language"])
        return data


class TemplateLintSchema(Schema):
    """One lint finding in a template answer."""

    code = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    message = fields.String(required=True)
