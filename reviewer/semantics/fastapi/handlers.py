"""Exception handlers a module registers: `@app.exception_handler(Cls)`,
`app.add_exception_handler(Cls, handler)` and `FastAPI(exception_handlers={Cls: handler})`, the
dict also bound to a name of the module (`exception_handlers=HANDLERS`).
`registrations` yields each (handler as written, what it is registered for), also handlers defined
in another module (`add_exception_handler(Cls, errors.on_error)`).

A handler turns an exception into the response a client gets, so what it puts in that response
and with which status matters as much as a route's return. `exception_handlers` maps the name of
each handler function defined in the module to the exception classes it is registered for (the
class expressions, to be qualified by the caller; None for a status code registered instead of a
class: the handler then receives an `HTTPException`; and for 500 also `Exception`, since Starlette
hands the handler of that status every exception nothing else handles).
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewer import lazy_cst as cst
from reviewer.syntax import argument
from reviewer.traversal import push_children


def _calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            yield current
        push_children(current, stack)


def registrations(module: cst.Module, source: str) -> Iterator[tuple[cst.BaseExpression, cst.BaseExpression | None]]:
    """(handler, what it is registered for) of every registration in a module whose text is
    `source`: the handler as written (a decorated function's name; a name or attribute handed to
    `add_exception_handler`), the class or status code expression (None when not given)."""
    if "exception_handler" not in source:  # every way of registering one spells it
        return
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef):
            for decorator in node.decorators:
                expr = decorator.decorator
                if (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                        and expr.func.attr.value == "exception_handler"):
                    cls = argument(expr, 0, "exc_class_or_status_code")
                    yield cst.Name(node.name.value), cls.value if cls else None
        if isinstance(node, (cst.Module, cst.IndentedBlock, cst.If, cst.Try, cst.With, cst.Else, cst.ClassDef,
                             cst.FunctionDef, cst.ExceptHandler, cst.Finally)):
            push_children(node, stack)
    for call in _calls(module):
        func = call.func
        if (isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute)
                and func.func.attr.value == "exception_handler" and call.args):
            cls = argument(func, 0, "exc_class_or_status_code")  # `app.exception_handler(Cls)(handler)`
            yield call.args[0].value, cls.value if cls else None
        if isinstance(func, cst.Attribute) and func.attr.value == "add_exception_handler":
            cls = argument(call, 0, "exc_class_or_status_code")
            handler = argument(call, 1, "handler")
            if handler is not None:
                yield handler.value, cls.value if cls else None
        for arg in call.args:
            named = arg.keyword.value if arg.keyword is not None else None
            mapping = handler_mapping(arg.value, module) if named == "exception_handlers" else None
            if mapping is not None:
                for element in mapping.elements:
                    if isinstance(element, cst.DictElement):
                        yield element.value, element.key


def handler_mapping(value: cst.BaseExpression, module: cst.Module) -> cst.Dict | None:
    """The dict an `exception_handlers=` argument gives: written there, or bound to a name at the
    module's top level (`exception_handlers=_EXCEPTION_HANDLERS`)."""
    if isinstance(value, cst.Dict):
        return value
    if not isinstance(value, cst.Name):
        return None
    found = None
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None and any(
                        isinstance(target, cst.Name) and target.value == value.value
                        for target in ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                                       else [small.target])):
                    found = small.value
    return found if isinstance(found, cst.Dict) else None


def exception_handlers(module: cst.Module, source: str) -> dict[str, list[cst.BaseExpression | None]]:
    """Handler function name -> the exception classes it is registered for, in this module
    (whose text is `source`), for handlers it names by a plain name."""
    found: dict[str, list[cst.BaseExpression | None]] = {}
    for handler, cls in registrations(module, source):
        if isinstance(handler, cst.Name) and cls is not None:
            classes = found.setdefault(handler.value, [])
            if isinstance(cls, cst.Integer):
                classes.append(None)
                if cls.value == "500":
                    classes.append(cst.Name("Exception"))
            else:
                classes.append(cls)
    return found
