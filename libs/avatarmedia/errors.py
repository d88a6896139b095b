"""Errors the media engine raises for bad input.

Each carries a message a user can act on. The platform maps ``MediaInputError`` to
``VALIDATION_ERROR`` (or a more specific code) and never to a 500.
"""


class MediaError(Exception):
    """Base of every error raised by avatarmedia."""


class MediaInputError(MediaError, ValueError):
    """The input (text, audio, image, video) cannot be used; the message says why."""


class NoFaceError(MediaInputError):
    """No face was found in an image or video."""


class FaceTooSmallError(MediaInputError):
    """The face is smaller than the minimum the animator needs."""


class FaceNotFrontalError(MediaInputError):
    """The face is turned too far (or the mouth covered) to animate."""


class UnsupportedLanguageError(MediaInputError):
    """The language is not one of the ten the speech engine speaks."""
