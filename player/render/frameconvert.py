"""Decoded video frame -> RGB32 QImage at the size it is shown, with FFmpeg's libswscale.

``QVideoFrame.toImage()`` converts the whole frame with Qt's plain C loops (about
4 ms per 1080p frame here) or, when the platform has OpenGL (xcb with Mesa
llvmpipe), on a throw-away GPU pipeline with a read-back (3x worse on a display
PC without a real GPU); a zone smaller than the clip then needs a second, smooth
scale. libswscale does colour conversion and scaling in one SIMD pass, like
``ffmpeg -vf scale=W:H,format=rgb32``. The library is the one Qt Multimedia's
FFmpeg backend ships (PySide6/Qt/lib), else the system's; when neither loads, or
a frame's pixel format is not in :data:`AV_PIX_FMT_NAMES`, :func:`convert`
returns ``None`` and the caller falls back to ``toImage()``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QtVideo, QVideoFrame, QVideoFrameFormat

log = logging.getLogger("player.video")

PF = QVideoFrameFormat.PixelFormat
#: Qt pixel format -> (FFmpeg pixel format name, plane order). YV12 is I420 with U and V swapped.
AV_PIX_FMT_NAMES: dict[QVideoFrameFormat.PixelFormat, tuple[str, tuple[int, ...]]] = {
    PF.Format_YUV420P: ("yuv420p", (0, 1, 2)),
    PF.Format_YV12: ("yuv420p", (0, 2, 1)),
    PF.Format_YUV422P: ("yuv422p", (0, 1, 2)),
    PF.Format_YUV420P10: ("yuv420p10le", (0, 1, 2)),
    PF.Format_NV12: ("nv12", (0, 1)),
    PF.Format_NV21: ("nv21", (0, 1)),
    PF.Format_P010: ("p010le", (0, 1)),
    PF.Format_UYVY: ("uyvy422", (0,)),
    PF.Format_YUYV: ("yuyv422", (0,)),
}
#: QImage.Format_RGB32 is 0xffRRGGBB in native order: B, G, R, A bytes on little-endian x86/ARM.
DEST_PIX_FMT = "bgra"
SWS_BICUBIC = 4  # the ffmpeg command line's default scaler: the same pixels as the CPU peer
# libswscale colour-space ids (SWS_CS_*) for the frame's matrix
SWS_CS_ITU709, SWS_CS_ITU601, SWS_CS_BT2020 = 1, 5, 9
CS = QVideoFrameFormat.ColorSpace
SWS_COLORSPACES = {CS.ColorSpace_BT709: SWS_CS_ITU709, CS.ColorSpace_BT601: SWS_CS_ITU601,
                   CS.ColorSpace_BT2020: SWS_CS_BT2020}


class _PyBuffer(ctypes.Structure):
    """CPython's ``Py_buffer``: the address behind a (read-only) memoryview without copying it."""

    # obj as a plain pointer: ctypes must not manage that reference (PyBuffer_Release drops it)
    _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p), ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int), ("ndim", ctypes.c_int),
                ("format", ctypes.c_char_p), ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p)]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.POINTER(_PyBuffer)]
_release_buffer.restype = None


class _Buffers:
    """Hold the buffers of some memoryviews open while C code reads them (released on exit)."""

    def __init__(self) -> None:
        self._held: list[_PyBuffer] = []

    def address(self, view: object) -> int:
        buf = _PyBuffer()
        if _get_buffer(view, ctypes.byref(buf), 0) != 0:
            raise ValueError("object exposes no buffer")
        self._held.append(buf)
        return int(buf.buf or 0)

    def __enter__(self) -> _Buffers:
        return self

    def __exit__(self, *_exc: object) -> None:
        for buf in self._held:
            _release_buffer(ctypes.byref(buf))
        self._held.clear()


def _load(name: str, soname_major: str) -> ctypes.CDLL | None:
    """Qt's bundled FFmpeg library first (already loaded by the FFmpeg backend), else the system's."""
    candidates: list[str] = []
    try:
        import PySide6

        qt_lib = Path(PySide6.__file__).resolve().parent / "Qt" / "lib"
        candidates += [str(p) for p in sorted(qt_lib.glob(f"lib{name}.so.{soname_major}*"))[:1]]
    except (ImportError, OSError):
        pass
    system = ctypes.util.find_library(name)
    if system:
        candidates.append(system)
    for candidate in candidates:
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None


class _Swscale:
    """The few libswscale/libavutil calls used, with their C signatures."""

    def __init__(self, sws: ctypes.CDLL, avutil: ctypes.CDLL) -> None:
        self.get_pix_fmt = avutil.av_get_pix_fmt
        self.get_pix_fmt.argtypes = [ctypes.c_char_p]
        self.get_pix_fmt.restype = ctypes.c_int
        self.get_context = sws.sws_getCachedContext
        self.get_context.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                     ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                     ctypes.c_void_p]
        self.get_context.restype = ctypes.c_void_p
        self.scale = sws.sws_scale
        self.scale.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int),
                               ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                               ctypes.POINTER(ctypes.c_int)]
        self.scale.restype = ctypes.c_int
        self.free_context = sws.sws_freeContext
        self.free_context.argtypes = [ctypes.c_void_p]
        self.free_context.restype = None
        self.coefficients = sws.sws_getCoefficients
        self.coefficients.argtypes = [ctypes.c_int]
        self.coefficients.restype = ctypes.POINTER(ctypes.c_int)
        self.set_colorspace = sws.sws_setColorspaceDetails
        self.set_colorspace.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
                                        ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                        ctypes.c_int]
        self.set_colorspace.restype = ctypes.c_int


def _open_swscale() -> _Swscale | None:
    sws, avutil = _load("swscale", "8"), _load("avutil", "59")
    if sws is None or avutil is None:
        log.info("libswscale not found: video frames are converted by Qt (slower)")
        return None
    try:
        return _Swscale(sws, avutil)
    except AttributeError as exc:  # an FFmpeg without these symbols
        log.info("libswscale unusable (%s): video frames are converted by Qt (slower)", exc)
        return None


_SWSCALE: _Swscale | None = None
_OPENED = False


def swscale() -> _Swscale | None:
    global _SWSCALE, _OPENED
    if not _OPENED:
        _SWSCALE, _OPENED = _open_swscale(), True
    return _SWSCALE


def available() -> bool:
    return swscale() is not None


def _transformed(surface: QVideoFrameFormat) -> bool:
    """A rotated, mirrored or bottom-up frame: left to ``toImage()``, which applies that transformation."""
    return (surface.rotation() != QtVideo.Rotation.None_ or surface.isMirrored()
            or surface.scanLineDirection() != QVideoFrameFormat.Direction.TopToBottom)


class FrameConverter:
    """Converts frames of one clip; keeps its libswscale context while sizes and formats stay the same.

    With ``reuse=True`` the result is written into the image returned by the
    last such call (so playing a clip does not allocate, and page-fault in, a
    canvas-sized image per frame): the caller must not keep that Python object
    past the next call. C++ copies of it (``QImage(image)``, a pixmap) are safe:
    writing through ``bits()`` detaches the shared data first.
    """

    def __init__(self) -> None:
        self._context: int | None = None
        self._key: tuple[object, ...] | None = None
        self._pix_fmts: dict[str, int] = {}
        self._target: QImage | None = None

    def _pix_fmt(self, lib: _Swscale, name: str) -> int:
        if name not in self._pix_fmts:
            self._pix_fmts[name] = lib.get_pix_fmt(name.encode())
        return self._pix_fmts[name]

    def convert(self, frame: QVideoFrame, out_w: int, out_h: int, *, reuse: bool = False) -> QImage | None:
        """``frame`` as an RGB32 image of ``out_w`` x ``out_h``; None if libswscale cannot do it."""
        lib = swscale()
        entry = AV_PIX_FMT_NAMES.get(frame.pixelFormat())
        if lib is None or entry is None or out_w <= 0 or out_h <= 0 or _transformed(frame.surfaceFormat()):
            return None
        name, planes = entry
        src_fmt, dst_fmt = self._pix_fmt(lib, name), self._pix_fmt(lib, DEST_PIX_FMT)
        if src_fmt < 0 or dst_fmt < 0:
            return None
        src_w, src_h = frame.width(), frame.height()
        surface = frame.surfaceFormat()
        key = (src_w, src_h, src_fmt, out_w, out_h, surface.colorSpace(), surface.colorRange())
        if key != self._key:
            context = lib.get_context(self._context, src_w, src_h, src_fmt, out_w, out_h, dst_fmt, SWS_BICUBIC,
                                      None, None, None)
            if not context:
                return None
            self._context, self._key = context, key
            self._set_colorspace(lib, surface)
        image = self._target_image(out_w, out_h, reuse)
        mapped = QVideoFrame(frame)
        if not mapped.map(QVideoFrame.MapMode.ReadOnly):
            return None
        try:
            with _Buffers() as buffers:
                src = (ctypes.c_void_p * 4)(*[buffers.address(mapped.bits(p)) for p in planes])
                src_stride = (ctypes.c_int * 4)(*[mapped.bytesPerLine(p) for p in planes])
                dst = (ctypes.c_void_p * 4)(buffers.address(image.bits()))
                dst_stride = (ctypes.c_int * 4)(image.bytesPerLine())
                rows = lib.scale(self._context, src, src_stride, 0, src_h, dst, dst_stride)
        finally:
            mapped.unmap()
        return image if rows == out_h else None

    def _target_image(self, out_w: int, out_h: int, reuse: bool) -> QImage:
        target = self._target
        if reuse and target is not None and target.width() == out_w and target.height() == out_h:
            return target
        image = QImage(out_w, out_h, QImage.Format.Format_RGB32)
        if reuse:
            self._target = image
        return image

    def _set_colorspace(self, lib: _Swscale, surface: QVideoFrameFormat) -> None:
        # untagged = BT.601, as Qt's own conversion and FFmpeg's encoders (our transcodes tag nothing) assume
        space = SWS_COLORSPACES.get(surface.colorSpace(), SWS_CS_ITU601)
        full_range = int(surface.colorRange() == QVideoFrameFormat.ColorRange.ColorRange_Full)
        table = lib.coefficients(space)
        lib.set_colorspace(self._context, table, full_range, table, 1, 0, 1 << 16, 1 << 16)

    def close(self) -> None:
        lib = swscale()
        if lib is not None and self._context:
            lib.free_context(self._context)
        self._context, self._key, self._target = None, None, None

    def __del__(self) -> None:
        self.close()
