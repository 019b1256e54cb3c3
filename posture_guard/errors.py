"""The one exception type a user may see.

Every error caused by input the user controls (a landmark file, a config, a diary entry,
a camera index) is raised as a :class:`UserError` whose message names what is wrong. The
CLI prints the message and exits non-zero; anything else is a bug and keeps its traceback.
"""

#: Exit status of a command refused for what the user must mend (a profile not calibrated
#: or damaged, a broken config, a monitor already running): trying again changes nothing.
EXIT_REFUSED = 2

#: Exit status of a command that may work when tried again later unchanged (BSD's
#: EX_TEMPFAIL): the monitor started at login before any webcam is there (a USB camera or
#: a dock not plugged in yet). The login entries tell the two apart: systemd's unit
#: restarts this one and not :data:`EXIT_REFUSED` (RestartPreventExitStatus=).
EXIT_TRY_AGAIN = 75


class UserError(Exception):
    """An error in something the user supplied, with a message meant for them."""

    #: the command's exit status when this stops it
    exit_status: int = EXIT_REFUSED


class KeptAside(UserError):
    """The database still held by another program as a sink closes: the spans it could
    not take are safe in the side file, which the next open takes in. A monitor the
    user stopped says so and exits 0; a stop asked for is no refusal, and exit status 2
    made the login entry's unit "failed" and kept it from ever restarting."""

    #: how many spans wait in the side file (0: the session had no posture time unsaved)
    spans: int = 0


class TryAgainLater(UserError):
    """A refusal that may not hold later, unchanged (no webcam plugged in yet); exits
    with :data:`EXIT_TRY_AGAIN`, so a service manager restarts it, and only it."""

    exit_status = EXIT_TRY_AGAIN
