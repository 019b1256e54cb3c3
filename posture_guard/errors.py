"""The one exception type a user may see.

Every error caused by input the user controls (a landmark file, a config, a diary entry,
a camera index) is raised as a :class:`UserError` whose message names what is wrong. The
CLI prints the message and exits non-zero; anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """An error in something the user supplied, with a message meant for them."""
