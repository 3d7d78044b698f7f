"""The `clinic` app's model registry.

Django loads an app's models from `<app>.models`; the models themselves live with their
capability (staff and locations, booking, reports) and share the `clinic` app label, so no
table moved. Code imports models from the capability's own module, never from here: this
module sits at the top of the import graph.
"""

from clinic.booking.feed_models import *  # noqa: F403
from clinic.booking.models import *  # noqa: F403
from clinic.reports.models import *  # noqa: F403
from clinic.staff.models import *  # noqa: F403
from clinic.staff.models import validate_time_zone  # noqa: F401 - named by migration 0001
