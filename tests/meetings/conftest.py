# The meetings fixture (four member units in community A1) is shared by the services and API tests.
from .test_services import m  # noqa: F401
