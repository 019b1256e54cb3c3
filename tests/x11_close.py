"""Close an X11 window as a window manager's close button does: a WM_DELETE_WINDOW
message sent to it (through libX11 with ctypes; Xvfb runs no window manager). And, as a
user at the keyboard would, press keys in a window (XTest), and read a window's size and
the titles of the windows on the display."""

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
    x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x.XSetInputFocus.argtypes = [ctypes.c_void_p, _ulong, ctypes.c_int, _ulong]
    x.XStringToKeysym.restype = _ulong
    x.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x.XKeysymToKeycode.restype = ctypes.c_ubyte
    x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, _ulong]
    uint = ctypes.POINTER(ctypes.c_uint)
    x.XGetGeometry.argtypes = [
        ctypes.c_void_p, _ulong, ctypes.POINTER(_ulong), ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_int), uint, uint, uint, uint,
    ]  # fmt: skip
    return x


def _named(x: ctypes.CDLL, display: int, parent: int) -> Iterator[tuple[int, str]]:
    """Every window below ``parent`` that has a title, with it."""
    root, up, n = _ulong(), _ulong(), ctypes.c_uint()
    children = ctypes.POINTER(_ulong)()
    x.XQueryTree(display, parent, root, up, children, n)
    for i in range(n.value):
        child = children[i]
        name = ctypes.c_char_p()
        if x.XFetchName(display, child, name) and name.value is not None:
            yield child, name.value.decode(errors="replace")
        yield from _named(x, display, child)


def _open() -> tuple[ctypes.CDLL, int]:
    x = _xlib()
    display = x.XOpenDisplay(None)
    if not display:
        raise OSError("cannot open the X display")
    return x, display


def _titled(x: ctypes.CDLL, display: int, title: str) -> list[int]:
    return [w for w, name in _named(x, display, x.XDefaultRootWindow(display)) if name == title]


def window_titles() -> list[str]:
    """The titles of the windows on $DISPLAY (a dialog a window opened is among them)."""
    x, display = _open()
    try:
        return [name for _, name in _named(x, display, x.XDefaultRootWindow(display))]
    finally:
        x.XCloseDisplay(display)


def window_size(title: str) -> tuple[int, int]:
    """(width, height) of the first window titled ``title``: its toolbars included."""
    x, display = _open()
    try:
        (window,) = _titled(x, display, title)[:1]
        root, px, py = _ulong(), ctypes.c_int(), ctypes.c_int()
        w, h, border, depth = (ctypes.c_uint() for _ in range(4))
        x.XGetGeometry(display, window, root, px, py, w, h, border, depth)
        return w.value, h.value
    finally:
        x.XCloseDisplay(display)


def press_keys(title: str, *keys: str) -> int:
    """Give every window titled ``title`` the keyboard and press ``keys`` together in it
    ("Control_L", "s": Ctrl+S), then release them; how many windows got them."""
    x, display = _open()
    xtst = ctypes.util.find_library("Xtst")
    if xtst is None:
        raise OSError("libXtst is not installed")
    fake = ctypes.CDLL(xtst).XTestFakeKeyEvent
    fake.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, _ulong]
    try:
        found = _titled(x, display, title)
        codes = [x.XKeysymToKeycode(display, x.XStringToKeysym(k.encode())) for k in keys]
        for window in found:
            x.XSetInputFocus(display, window, 1, 0)  # RevertToPointerRoot, CurrentTime
            x.XSync(display, 0)
            for code in codes:
                fake(display, code, 1, 0)
            for code in reversed(codes):
                fake(display, code, 0, 0)
        x.XSync(display, 0)
        return len(found)
    finally:
        x.XCloseDisplay(display)


def close_window(title: str) -> int:
    """Ask every window titled ``title`` on $DISPLAY to close; how many were asked."""
    x, display = _open()
    try:
        found = _titled(x, display, title)
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
