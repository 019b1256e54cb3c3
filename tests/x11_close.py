"""Close an X11 window as a window manager's close button does: a WM_DELETE_WINDOW
message sent to it (through libX11 with ctypes; Xvfb runs no window manager)."""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator

_ulong = ctypes.c_ulong
_CLIENT_MESSAGE = 33


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", _ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", _ulong),
        ("message_type", _ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _Event(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def _xlib() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11")
    if name is None:
        raise OSError("libX11 is not installed")
    x = ctypes.CDLL(name)
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x.XDefaultRootWindow.restype = _ulong
    x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x.XInternAtom.restype = _ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XQueryTree.argtypes = [
        ctypes.c_void_p,
        _ulong,
        ctypes.POINTER(_ulong),
        ctypes.POINTER(_ulong),
        ctypes.POINTER(ctypes.POINTER(_ulong)),
        ctypes.POINTER(ctypes.c_uint),
    ]
    x.XFetchName.argtypes = [ctypes.c_void_p, _ulong, ctypes.POINTER(ctypes.c_char_p)]
    x.XSendEvent.argtypes = [
        ctypes.c_void_p, _ulong, ctypes.c_int, ctypes.c_long, ctypes.POINTER(_Event)
    ]  # fmt: skip
    x.XFlush.argtypes = [ctypes.c_void_p]
    return x


def close_window(title: str) -> int:
    """Ask every window titled ``title`` on $DISPLAY to close; how many were asked."""
    x = _xlib()
    display = x.XOpenDisplay(None)
    if not display:
        raise OSError("cannot open the X display")

    def windows(parent: int) -> Iterator[int]:
        root, up, n = _ulong(), _ulong(), ctypes.c_uint()
        children = ctypes.POINTER(_ulong)()
        x.XQueryTree(display, parent, root, up, children, n)
        for i in range(n.value):
            child = children[i]
            name = ctypes.c_char_p()
            if x.XFetchName(display, child, name) and name.value == title.encode():
                yield child
            yield from windows(child)

    try:
        found = list(windows(x.XDefaultRootWindow(display)))
        for window in found:
            event = _Event()
            event.xclient.type = _CLIENT_MESSAGE
            event.xclient.window = window
            event.xclient.message_type = x.XInternAtom(display, b"WM_PROTOCOLS", 0)
            event.xclient.format = 32
            event.xclient.data[0] = x.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
            x.XSendEvent(display, window, 0, 0, event)
        x.XFlush(display)
        return len(found)
    finally:
        x.XCloseDisplay(display)
