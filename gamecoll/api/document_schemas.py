"""The document's named schemas (`components.schemas`), made from the pydantic models.

Each model is named by its `title` and referred to with `$ref`; pydantic's property titles
and defaults are left out (see `tidy`).
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from gamecoll.api.docs import Schema
from gamecoll.api.item_schemas import FORMS

REF: Final = "#/components/schemas/"


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": REF + name}


class Components:
    """The named schemas the document refers to, collected while the paths are built."""

    def __init__(self) -> None:
        self.models: dict[type[BaseModel], JsonSchemaMode] = {}
        self.aliases: dict[str, type[BaseModel]] = {}

    def use(self, model: type[BaseModel], mode: JsonSchemaMode) -> Schema:
        """Refer to a model's schema (validation for bodies, serialization for answers)."""
        self.models.setdefault(model, mode)
        return ref(public_name(model))

    def schemas(self) -> dict[str, Schema]:
        """Return every referenced schema and the schemas they refer to, by public name."""
        pairs = [(model, mode) for model, mode in self.models.items()]
        _, top = models_json_schema(pairs, ref_template=REF + "{model}")
        definitions: dict[str, Schema] = top.get("$defs", {})
        names = {key: str(schema.get("title", key)) for key, schema in definitions.items()}
        if len(set(names.values())) < len(names):
            raise ValueError(f"Two schemas share a title: {sorted(names.values())}")
        out = {names[key]: tidy(schema, names) for key, schema in definitions.items()}
        for alias, model in self.aliases.items():
            out[alias] = {**out[public_name(model)], "title": alias}
        out.update(FORMS)
        return dict(sorted(out.items()))


def public_name(model: type[BaseModel]) -> str:
    """Return the name a model has in the document (its `title`)."""
    title = model.model_config.get("title")
    if not title:
        raise TypeError(f"{model.__name__} needs a title (its name in the API document).")
    return str(title)


def tidy(node: Any, names: dict[str, str], *, top: bool = True) -> Any:
    """Rename references to public names; drop pydantic's property titles and defaults."""
    if isinstance(node, list):
        return [tidy(value, names, top=False) for value in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = REF + names[value.removeprefix(REF)]
        elif key == "title" and not top:
            continue
        elif key == "properties":
            # No `default` on properties: generators (openapi-typescript) take a property with
            # a default as always present, but the server omits some (`fields`) and requests
            # may leave them out. What an absent field means is in its description.
            out[key] = {
                name: tidy({k: v for k, v in prop.items() if k != "default"}, names, top=False)
                for name, prop in value.items()
            }
        else:
            out[key] = tidy(value, names, top=False)
    return out
