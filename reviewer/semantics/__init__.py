"""What code means, shared by every rule and ignorant of them: the semantic layer.

- `names`: imports, aliases and qualified names (`r.get` is `requests.get`);
- `calls`: the repository's functions and the calls they make, over module summaries;
  `callers`: who may call a function, by the name its callers spell, narrowed by what the
  repository says their receivers hold (the classes its attributes are filled with);
- `flow`: value flow inside a function: sources, sanitizers, trust, the strings values build,
  and what reaches a sink (the taint API a rule uses in a few lines: `flow.taint`);
- `fastapi`: applications, routers, routes, parameters, dependencies, raw reads of the request
  and what validates them (in the handler, its dependencies' consumers, the repository's helpers);
- `sql`: where SQL goes and what reaches it (a domain of `flow`), and SQL text parsed with sqlglot;
- `blocking`: blocking I/O APIs and their async counterparts;
- `signing`: calls that take a signing or encryption key;
- `migrations`: which modules are schema migrations;
- `serving`: which functions run while serving a request, which only at start-up or in a
  command-line program, which never (a module a package shadows);
- `settings`, `constants`: what an application's settings and constant collections hold by
  default; `conditions`: which branches a default deployment, or a given call, takes (also by
  what a helper returns); `defaults`: what any configuration value (a settings field, a module
  constant, an environment read's fallback, across modules) is in a deployment that sets nothing;
- `once`: work done once rather than per call (lazy initialisation, done-guards, disk caches,
  releases that clear their state);
- `passwords`: where a password-equivalent value comes from (a request field, an account lookup)
  and where it goes (a fast hash, a PBKDF2 derivation, a column, a comparison), across modules;
- `orm`: SQLAlchemy's declarative models (columns, relationships and their loading strategy) and
  queries with their loader options;
- `alembic`: Alembic revisions, their chain, and the schema operations they perform;
- `exceptions`, `error_paths`: what a caught exception is, which values carry its detail, and how
  a module's routes and exception handlers answer errors;
- `client_requests`: the requests a test suite makes of the endpoints (method and path);
  `log_calls`: logging calls and what reaches them.

Per-file facts join the engine's single walk through `reviewer.facts.Facts` (a rule requires
them); repository-wide models are built once per run from module summaries.
"""
