"""Who may call a method (`reviewer.semantics.callers`): the calls that spell its name, narrowed by
what the repository says their receivers hold."""

from __future__ import annotations

import textwrap

from reviewer.analysis import analyze
from reviewer.registry import load_rules
from reviewer.semantics.callers import Callers, takes
from reviewer.semantics.calls import ModuleIndex

RULES = [rule for rule in load_rules() if rule.checklist == "no-internal-error-leak"]

HANDLERS = '''
class Handler:
    async def update(self, item):
        ...


class CommunitiesHandler(Handler):
    async def update(self, item):
        ...

    async def reset(self):
        ...


class GraphsHandler:
    def __init__(self, pool):
        self.communities = CommunitiesHandler()
        self.pool = pool


class Cache:
    def update(self, key, value):
        ...


class Database:
    graphs: GraphsHandler
    base: Handler
    anything = None


class Reports:
    async def delete(self, report_id):  # nothing calls it: every `delete` call is another class's
        ...
'''

SERVICES = '''
import openai

from contextvars import ContextVar

from app.handlers import Cache, Database

request_schema: ContextVar[str | None] = ContextVar("request_schema", default=None)


class Service:
    def __init__(self, client: openai.AsyncOpenAI, db: Database):
        self.db = db
        self.cache = Cache()
        self.client = client
        self.settings = {}

    async def through_the_chain(self, item):
        return await self.db.graphs.communities.update(item)

    async def through_a_base(self, item):
        return await self.db.base.update(item)

    async def on_a_cache(self, item):
        self.cache.update(item, 1)

    async def on_a_dict(self, item):
        self.settings.update(item)
        params: dict[str, int] = {}
        params.update(item)
        values = {}
        values.update(item)

    async def on_an_sdk(self, item):
        await self.client.chat.completions.update(item)

    async def on_a_pool(self, item):
        await self.db.graphs.pool.update(item)

    async def on_an_unknown(self, item, other):
        await other.update(item)

    async def on_a_context_variable(self, token):
        request_schema.reset(token)
        self.cache.delete(token)


def helper(store, item):
    return store.items.update(item)  # an attribute the repository never fills: a library's object
'''


def test_method_callers_are_those_whose_receivers_may_hold_its_class() -> None:
    files = {"app/handlers.py": HANDLERS, "app/services.py": SERVICES}
    summaries = [analyze(path, textwrap.dedent(source).encode(), RULES, {}).summary
                 for path, source in files.items()]
    callers = Callers(summaries, ModuleIndex(summaries))
    assert set(callers.callers("app.handlers.CommunitiesHandler.update")) == {
        "app.services.Service.through_the_chain",
        "app.services.Service.through_a_base",  # a `Handler` attribute may hold the subclass
        "app.services.Service.on_a_pool",  # `pool` holds what the constructor was given
        "app.services.Service.on_an_unknown",
    }
    # The cache's own method: its caller. The calls no receiver tells apart from it pass one
    # argument, and it takes two.
    assert set(callers.callers("app.handlers.Cache.update")) == {"app.services.Service.on_a_cache"}


ARITIES = '''
class Relationships:
    async def update(self, relationship_id, subject, *, weight=None):
        ...

    @classmethod
    def build(cls, rows, strict=False):
        ...


class Traced:
    @traced
    async def update(self, relationship_id, subject):  # a decorator may take anything
        ...


def traced(function):
    return function


async def callers(graph, document, rows, extra):
    document.metadata.update({"source": "upload"})  # a dict's: one argument
    await graph.relationships.update(1, "a")
    await graph.relationships.update(relationship_id=1, subject="a", weight=2)
    Relationships.update(graph.relationships, 1, "a")  # called on the class, with the instance
    await graph.relationships.update(1)  # too few
    await graph.relationships.update(1, "a", 3)  # too many positions
    await graph.relationships.update(1, "a", colour="red")  # a keyword it does not take
    await graph.relationships.update(*extra)
    Relationships.build(rows)
'''


def _calls_taken(source: str, qualname: str) -> list[int]:
    """The lines of module `app.graph`'s function `callers` whose calls may call `qualname`."""
    summary = analyze("app/graph.py", textwrap.dedent(source).encode(), RULES, {}).summary
    function = summary.functions[qualname]
    calls = [call for call in summary.functions["app.graph.callers"].calls if call.name == function.name]
    cls = qualname.rpartition(".")[0].rpartition(".")[2]
    return [index for index, call in enumerate(calls) if takes(function, call.shape, call.text.startswith(f"{cls}."))]


def test_signatures_take_what_their_parameters_allow() -> None:
    summary = analyze("app/sig.py", textwrap.dedent('''
        def export(report, /, fmt="csv", *, target, **options):
            ...
        def gather(*parts):
            ...
    ''').encode(), RULES, {}).summary
    export = summary.functions["app.sig.export"].signature
    assert export.accepts((1, ("target",)))
    assert export.accepts((2, ("target", "anything")))  # `**options` takes any keyword
    assert not export.accepts((1, ()))  # `target` is required, by keyword
    assert not export.accepts((3, ("target",)))
    assert not export.accepts((0, ("target",)))
    gather = summary.functions["app.sig.gather"].signature
    assert gather.accepts((0, ())) and gather.accepts((5, ()))
    assert not gather.accepts((0, ("parts",)))


def test_calls_with_arguments_a_method_does_not_take_do_not_call_it() -> None:
    assert _calls_taken(ARITIES, "app.graph.Relationships.update") == [1, 2, 3, 7]
    assert _calls_taken(ARITIES, "app.graph.Relationships.build") == [0]
    assert _calls_taken(ARITIES, "app.graph.Traced.update") == [0, 1, 2, 3, 4, 5, 6, 7]


def test_a_method_whose_name_only_other_classes_calls_is_called_by_nothing() -> None:
    files = {"app/handlers.py": HANDLERS, "app/services.py": SERVICES}
    summaries = [analyze(path, textwrap.dedent(source).encode(), RULES, {}).summary
                 for path, source in files.items()]
    callers = Callers(summaries, ModuleIndex(summaries))
    assert callers.callers("app.handlers.Reports.delete") == []
    # No entry reaches it, which is not the same as a function whose name nothing spells (a
    # callback, a hook: None).
    assert callers.entries("app.handlers.Reports.delete", lambda function, summary: True) == {}
    # `request_schema.reset(token)` is a module's context variable's.
    assert callers.callers("app.handlers.CommunitiesHandler.reset") == []
    assert callers.callers("app.services.Service.on_a_context_variable") == []
    assert callers.entries("app.services.Service.on_a_context_variable", lambda function, summary: True) is None


STORES = '''
class ReportStore:
    async def revoke(self, report_id, reason):
        ...


class Strategy:
    async def revoke(self, benefit, customer):
        ...


store = ReportStore()
'''

ROUTES = '''
from app.stores import store as report_store


async def revoke_report(report_id):
    await report_store.revoke(report_id, "asked")


class Page:
    def __init__(self, factory):
        self.store = factory()  # an attribute of the same name, which may hold anything
'''


def test_a_call_on_a_modules_instance_is_a_call_of_its_class() -> None:
    files = {"app/stores.py": STORES, "app/routes.py": ROUTES}
    summaries = [analyze(path, textwrap.dedent(source).encode(), RULES, {}).summary
                 for path, source in files.items()]
    callers = Callers(summaries, ModuleIndex(summaries))
    assert callers.callers("app.stores.ReportStore.revoke") == ["app.routes.revoke_report"]
    assert callers.callers("app.stores.Strategy.revoke") == []


PROVIDERS = '''
from typing import Any, Union


class IngestionProvider:
    async def parse(self, file_content, document, config):
        ...


class R2RIngestion(IngestionProvider):
    async def parse(self, file_content, document, config):
        ...


class UnstructuredIngestion(IngestionProvider):
    async def parse(self, file_content, document, config):
        ...


class Providers:
    ingestion: R2RIngestion | UnstructuredIngestion | None
    fallback: Union[R2RIngestion, UnstructuredIngestion]
    plugin: R2RIngestion | Any
'''

WORKFLOW = '''
class IngestFiles:
    @orchestrator.step(retries=0)
    async def parse(self, context):
        ...
'''

INGESTION = '''
from app.providers import Providers


class IngestionService:
    def __init__(self, providers: Providers):
        self.providers = providers

    async def parse_file(self, doc):
        return [x async for x in self.providers.ingestion.parse(doc, doc, None)]

    async def parse_again(self, doc):
        return [x async for x in self.providers.fallback.parse(doc, doc, None)]

    async def parse_with_plugin(self, doc):
        return [x async for x in self.providers.plugin.parse(doc, doc, None)]
'''


def test_an_attribute_declared_with_a_union_holds_each_of_its_classes() -> None:
    files = {"app/providers.py": PROVIDERS, "app/workflow.py": WORKFLOW, "app/ingestion.py": INGESTION}
    summaries = [analyze(path, textwrap.dedent(source).encode(), RULES, {}).summary
                 for path, source in files.items()]
    callers = Callers(summaries, ModuleIndex(summaries))
    # A workflow step of the same name is not what `providers.ingestion` holds.
    assert callers.callers("app.workflow.IngestFiles.parse") == ["app.ingestion.IngestionService.parse_with_plugin"]
    assert callers.callers("app.providers.R2RIngestion.parse") == [
        "app.ingestion.IngestionService.parse_file",
        "app.ingestion.IngestionService.parse_again",
        "app.ingestion.IngestionService.parse_with_plugin",
    ]
