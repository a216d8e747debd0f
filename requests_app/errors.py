"""The refusals of the domain. Each means a rule stopped the change and nothing was changed, so a
view answers it with a message (a 4xx), never a 500. Failures at the edge (a provider, a source,
the audit chain) are not domain errors."""


class DomainError(Exception):
    """A rule refused the change; nothing was changed."""


class TransitionRefused(DomainError):
    """The request, task or incident is not in a state that allows this change (someone may have
    acted first)."""


class StaleRequest(TransitionRefused):
    """The request or task changed since the form was shown (its `version` moved on): reload and
    decide again."""
