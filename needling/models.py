"""The `needling` app's model registry.

Django loads an app's models from `<app>.models`; the models live with their capability
(knowledge base, plans, sessions, API tokens) and share the `needling` app label, so no table
moved. Code imports models from the capability's own module, never from here.
"""

from needling.api.models import *  # noqa: F403
from needling.knowledge.models import *  # noqa: F403
from needling.knowledge.models import ImmutableCodeMixin  # noqa: F401 - named by migration 0001
from needling.plans.models import *  # noqa: F403
from needling.sessions.models import *  # noqa: F403
