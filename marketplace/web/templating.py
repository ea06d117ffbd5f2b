"""Jinja as Flask sets it up, without a cost paid on every ``{% from … import … %}``.

When a template imports macros, Jinja checks whether the importer has globals the macro
template lacks (then the module is rebuilt with them) by subtracting a ``ChainMap`` key
view from a set: one ``ChainMap.__contains__`` (a generator over its maps) per global,
~60-140 µs with the app's ~35 globals on this machine. A product card imports two macros
and a search page renders up to 24 cards with fresh highlights, so that check was about
a third of a card's render. Here it is the same test on a plain set of the keys; the
module Jinja returns is the one it returned before.

Every call in a template (``_()``, ``url_for()``, a macro: ~130 a product page) goes
through ``Context.call``, which works out on every call whether the callable (or its
``__call__``) wants the context, the eval context or the environment passed. Here that is
worked out once per callable (the templates' globals and macros are the same objects
from page to page), and one that wants none of them is called directly.
"""
from __future__ import annotations

from flask.templating import Environment
from jinja2 import Template
from jinja2.runtime import Context
from jinja2.utils import _PassArg


class MarketplaceTemplate(Template):
    def _get_default_module(self, ctx=None):  # noqa: ANN001, ANN202 — Jinja's signature
        # Jinja: ``keys = ctx.globals_keys - self.globals.keys()``; none → the cached module.
        if ctx is not None and self._module is not None and ctx.globals_keys.issubset(set(self.globals)):
            return self._module
        return super()._get_default_module(ctx)


_CALLABLES = 4096  # callables whose way of being called is kept; emptied when full
_how: dict = {}  # callable -> (what to call, Jinja's _PassArg or None)


def _resolve(obj):  # noqa: ANN001, ANN202
    """What ``Context.call`` works out for ``obj`` on every call, worked out once."""
    if hasattr(obj, "__call__") and _PassArg.from_obj(obj.__call__) is not None:  # noqa: B004 — as Jinja
        obj = obj.__call__
    return obj, _PassArg.from_obj(obj)


class MarketplaceContext(Context):
    def call(__self, __obj, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN204, N805 — Jinja's signature
        try:
            target, pass_arg = _how[__obj]
        except KeyError:
            if len(_how) >= _CALLABLES:
                _how.clear()
            target, pass_arg = _how[__obj] = _resolve(__obj)
        except TypeError:  # unhashable: Jinja's own way
            return super().call(__obj, *args, **kwargs)
        if pass_arg is _PassArg.context and not (kwargs.get("_loop_vars") or kwargs.get("_block_vars")):
            args = (__self, *args)
        elif pass_arg is not None:  # the rarer cases (derived contexts, environment): Jinja's way
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return target(*args, **kwargs)
        except StopIteration:  # as Jinja: a callable's StopIteration is an undefined value
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


class MarketplaceEnvironment(Environment):
    template_class = MarketplaceTemplate
    context_class = MarketplaceContext
