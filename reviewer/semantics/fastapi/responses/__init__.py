"""What an endpoint's response carries: the schema it declares, the values its handler returns,
and which ORM columns hold credentials.

Per file (modules that mention FastAPI, Pydantic, SQLAlchemy/SQLModel or a hashing/secrets library),
`ResponseFacts` records plain `ModuleResponses`:

- for every function, the *shapes* of the values it returns (`Shape`): an instance of a class
  (`User(...)`, `session.get(User, id)`, the rows of `select(User)`), the result of a call to
  another function, a parameter, a serialisation of a value (`obj.__dict__`, `obj.model_dump()`,
  `jsonable_encoder(obj)`), a dict literal of values; locals are followed to their assignments;
- the callees of each function's returned expressions (a wrapper such as `get_password_hash`
  returns what `pwd_context.hash(...)` makes);
- writes of computed values to named attributes or fields (`user.hashed_password = hash(...)`,
  `User(api_key=secrets.token_urlsafe())`, `update={"hashed_password": hashed}`), by the callees
  that produce the value;
- the annotated fields of every class (a response model's fields).

Over the repository, `ResponseModel` (`repo.facts(ResponseFacts)`) answers:

- `credential_columns(cls)`: the mapped columns of an ORM class that hold credentials, with why:
  the column is written from a hashing, secret-generating or encrypting call (through repository
  wrappers, a few calls deep), or its name is an unambiguous credential (`hashed_password`,
  `api_key`, `client_secret`, ...);
- `leaks(endpoint)`: the credential columns the endpoint's response can carry, after the response
  model it declares (`response_model=`, or a return annotation FastAPI uses as one) filters them;
- `response_schema(index, endpoint)`: the declared response model's name, or None (module-level).

`ResponseModel` is built on `CredentialColumns`, which answers the ORM side (`credential_columns`,
`is_mapped`, `model_fields`) for any reader.

Modules:

- records.py: the plain records (`Shape`, `ModuleResponses`, `Credential`, `Leak`) and shared names;
- collector.py: `ResponseFacts`, the per-file walk that fills `ModuleResponses`;
- reader.py: `Reader`, which reads one function's returned expressions (`FunctionState`) into
  shapes, callees and return kinds;
- credentials.py: `CredentialColumns`, which ORM columns hold credentials, and why;
- model.py: `ResponseModel`, what functions answer and what endpoints' responses carry;
- schemas.py: response classes (`is_json_response`, `is_response_class`) and the declared response
  schema of an endpoint (`response_schema`), with the helpers that name a response type.
"""

from reviewer.semantics.fastapi.responses.collector import ResponseFacts
from reviewer.semantics.fastapi.responses.credentials import CredentialColumns
from reviewer.semantics.fastapi.responses.model import ResponseModel
from reviewer.semantics.fastapi.responses.records import FACTS_KEY, OTHER, Credential, Leak, ModuleResponses, Shape
from reviewer.semantics.fastapi.responses.schemas import (
    JSON_RESPONSES,
    is_json_response,
    is_response_class,
    response_schema,
)

__all__ = [
    "FACTS_KEY",
    "JSON_RESPONSES",
    "OTHER",
    "Credential",
    "CredentialColumns",
    "Leak",
    "ModuleResponses",
    "ResponseFacts",
    "ResponseModel",
    "Shape",
    "is_json_response",
    "is_response_class",
    "response_schema",
]
