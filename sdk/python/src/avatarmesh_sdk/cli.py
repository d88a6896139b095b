"""``avatarmesh``: the API from a shell, on the Python SDK.

    avatarmesh avatars create --name Aria --describe "Warm presenter" --wait
    avatarmesh avatars create --photo face.jpg --wait
    avatarmesh videos create --avatar av_... --text "Hello!" --out video.mp4
    avatarmesh studio create --scenes scenes.json --size 1080x1920 --out reel.mp4
    avatarmesh files upload background.png
    avatarmesh tts --voice voice_... --text "Hello!" --out hello.wav
    avatarmesh balance --json

The key and base URL come from ``--api-key`` / ``--base-url``, else
``AVATARMESH_API_KEY`` / ``AVATARMESH_BASE_URL``, else the profile file
(``avatarmesh configure`` writes it; ``--profile`` picks a section). ``--json`` prints
the API's JSON for scripts. Exit codes say what failed (see ``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, NoReturn

from avatarmesh_sdk.client import Client
from avatarmesh_sdk.errors import (
    ApiError,
    AvatarmeshError,
    ConnectionFailed,
    JobFailed,
    WaitTimeout,
)

EXIT_CODES = {
    "ok": 0,
    "error": 1,
    "usage": 2,
    "auth": 3,  # 401 / 403
    "not_found": 4,  # 404
    "invalid": 5,  # 400
    "payment": 6,  # 402
    "conflict": 7,  # 409 (e.g. AVATAR_NOT_READY)
    "rate_limited": 8,  # 429 after the retries
    "server": 9,  # 5xx after the retries, or the API unreachable
    "job_failed": 10,  # the avatar or video ended failed / cancelled
    "timeout": 11,  # --wait gave up
}
_BY_STATUS = {401: 3, 403: 3, 404: 4, 400: 5, 402: 6, 409: 7, 429: 8}
NATIONALITY = {
    "en": "American",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Brazilian",
    "ar": "Saudi",
}


def profile_path() -> Path:
    default = Path.home() / ".config" / "avatarmesh" / "credentials"
    return Path(os.environ.get("AVATARMESH_CONFIG", default))


def read_profile(name: str) -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(profile_path())
    return dict(parser[name]) if parser.has_section(name) else {}


# ---------------------------------------------------------------- output


class Output:
    """Results as JSON (``--json``) or text; progress on stderr (rich when installed and
    stderr is a terminal, else plain lines)."""

    def __init__(self, as_json: bool, progress: bool) -> None:
        self.as_json = as_json
        self.progress = progress and not as_json
        self.rich = None
        if self.progress and sys.stderr.isatty():
            try:
                import rich.progress

                self.rich = rich.progress
            except ImportError:
                self.rich = None

    def result(self, value: Any, text: Callable[[Any], str] | None = None) -> None:
        if self.as_json:
            print(json.dumps(plain(value), indent=2, default=str))
        elif text is not None:
            print(text(value))
        else:
            print(json.dumps(plain(value), indent=2, default=str))

    def note(self, message: str) -> None:
        if self.progress:
            print(message, file=sys.stderr)

    @contextmanager
    def status(self, label: str) -> Iterator[Callable[[Any], None]]:
        """A callback for ``on_progress``: a bar for a job's status and progress."""
        if self.rich is not None:
            with self.rich.Progress(
                self.rich.SpinnerColumn(),
                self.rich.TextColumn("{task.description}"),
                self.rich.BarColumn(),
                self.rich.TaskProgressColumn(),
                self.rich.TimeElapsedColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task(label, total=1.0)

                def update(item: Any) -> None:
                    stage = getattr(item, "stage", None)
                    detail = f"{label}: {item.status}" + (f" ({stage})" if stage else "")
                    done = getattr(item, "progress", None)
                    bar.update(task, description=detail, completed=done or 0.0)

                yield update
            return
        last: list[str] = [""]

        def plain_update(item: Any) -> None:
            stage = getattr(item, "stage", None)
            done = getattr(item, "progress", None)
            line = f"{label}: {item.status}" + (f" ({stage})" if stage else "")
            line += f" {done * 100:.0f}%" if isinstance(done, float) else ""
            if line != last[0] and self.progress:
                print(line, file=sys.stderr)
                last[0] = line

        yield plain_update

    @contextmanager
    def transfer(self, label: str) -> Iterator[Callable[[int, int | None], None]]:
        """A callback for ``on_bytes(done, total)``."""
        if self.rich is not None:
            with self.rich.Progress(
                self.rich.TextColumn("{task.description}"),
                self.rich.BarColumn(),
                self.rich.DownloadColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task(label, total=None)
                yield lambda done, total: bar.update(task, completed=done, total=total)
            return
        yield lambda done, total: None
        self.note(f"{label}: done")


def plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# ---------------------------------------------------------------- commands


def cmd_configure(args: argparse.Namespace, _client: Client, out: Output) -> None:
    path = profile_path()
    parser = configparser.ConfigParser()
    parser.read(path)
    if not parser.has_section(args.profile):
        parser.add_section(args.profile)
    for key in ("api_key", "base_url", "admin_key"):
        value = getattr(args, key)
        if value:
            parser[args.profile][key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        parser.write(handle)
    path.chmod(0o600)
    out.result({"profile": args.profile, "path": str(path)}, lambda v: f"saved {v['path']}")


def avatar_line(a: Any) -> str:
    stage = f" ({a.stage})" if getattr(a, "stage", None) else ""
    return f"{a.id}  {a.status}{stage}  {a.name}  {a.language}"


def cmd_avatars_create(args: argparse.Namespace, client: Client, out: Output) -> None:
    photo = Path(args.photo) if args.photo else None
    video = Path(args.video) if args.video else None
    name = args.name or (photo or video or Path("Presenter")).stem[:60]
    description = args.describe
    if description is None and photo is not None:
        description = f"Presenter based on the photo {photo.name}"
    for upload in (photo, video):
        if upload is not None:
            out.note(f"uploading {upload.name} ({upload.stat().st_size / 1e6:.1f} MB)")
    created = client.avatars.create(
        name=name,
        description=description,
        language=args.language,
        nationality=args.nationality or NATIONALITY.get(args.language, "International"),
        gender=args.gender,
        accent=args.accent,
        photo=photo,
        video=video,
    )
    if not args.wait:
        out.result(created, lambda c: f"{c.id}  {c.status}  (poll: avatarmesh avatars wait {c.id})")
        return
    with out.status(f"avatar {created.id}") as progress:
        avatar = client.wait_for_avatar(created.id, timeout=args.timeout, on_progress=progress)
    out.result(avatar, lambda a: f"{avatar_line(a)}  voice {a.tts_voice_id}")


def cmd_avatars_list(args: argparse.Namespace, client: Client, out: Output) -> None:
    items = (
        list(client.avatars.iter()) if args.all else client.avatars.list(args.page, args.limit).data
    )
    out.result(items, lambda rows: "\n".join(avatar_line(a) for a in rows))


def cmd_avatars_get(args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(client.avatars.get(args.id), lambda a: f"{avatar_line(a)}  voice {a.tts_voice_id}")


def cmd_avatars_wait(args: argparse.Namespace, client: Client, out: Output) -> None:
    with out.status(f"avatar {args.id}") as progress:
        avatar = client.wait_for_avatar(args.id, timeout=args.timeout, on_progress=progress)
    out.result(avatar, avatar_line)


def cmd_avatars_delete(args: argparse.Namespace, client: Client, out: Output) -> None:
    client.avatars.delete(args.id)
    out.result({"id": args.id, "deleted": True}, lambda v: f"deleted {v['id']}")


def cmd_poses_list(args: argparse.Namespace, client: Client, out: Output) -> None:
    poses = client.avatars.list_poses(args.avatar).data
    out.result(poses, lambda rows: "\n".join(f"{p.id}  {p.status}  {p.name}" for p in rows))


def cmd_poses_create(args: argparse.Namespace, client: Client, out: Output) -> None:
    pose = client.avatars.create_pose(args.avatar, prompt=args.prompt, name=args.name)
    out.result(pose, lambda p: f"{p.id}  {p.status}  {p.name}")


def video_line(v: Any) -> str:
    url = f"  {v.video_url}" if v.video_url else ""
    return f"{v.id}  {v.status}  {v.tier}  {v.progress * 100:.0f}%{url}"


def cmd_videos_create(args: argparse.Namespace, client: Client, out: Output) -> None:
    audio = Path(args.audio) if args.audio else None
    if audio is not None:
        out.note(f"uploading {audio.name} ({audio.stat().st_size / 1e6:.1f} MB)")
    created = client.videos.create(
        avatar_id=args.avatar,
        text=args.text,
        audio=audio,
        tier=args.tier,
        pose_id=args.pose,
        video_prompt=args.prompt,
        webhook_url=args.webhook,
        resolution=args.resolution,
        fps=args.fps,
    )
    if not (args.wait or args.out):
        out.result(created, lambda c: f"{c.id}  {c.status}  ${c.estimated_cost_usd:.2f} held")
        return
    with out.status(f"video {created.id}") as progress:
        video = client.wait_for_video(created.id, timeout=args.timeout, on_progress=progress)
    if args.out:
        with out.transfer(f"downloading {args.out}") as on_bytes:
            client.videos.download(video, args.out, on_bytes)
    out.result(video, lambda v: video_line(v) + (f"\nsaved {args.out}" if args.out else ""))


def cmd_videos_get(args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(client.videos.get(args.id), video_line)


def cmd_videos_list(args: argparse.Namespace, client: Client, out: Output) -> None:
    items = (
        list(client.videos.iter()) if args.all else client.videos.list(args.page, args.limit).data
    )
    out.result(items, lambda rows: "\n".join(video_line(v) for v in rows))


def cmd_videos_wait(args: argparse.Namespace, client: Client, out: Output) -> None:
    with out.status(f"video {args.id}") as progress:
        video = client.wait_for_video(args.id, timeout=args.timeout, on_progress=progress)
    out.result(video, video_line)


def cmd_videos_cancel(args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(client.videos.cancel(args.id), video_line)


def cmd_videos_download(args: argparse.Namespace, client: Client, out: Output) -> None:
    with out.transfer(f"downloading {args.out}") as on_bytes:
        path = client.videos.download(args.id, args.out, on_bytes)
    out.result({"id": args.id, "path": str(path)}, lambda v: f"saved {v['path']}")


# ---------------------------------------------------------------- studio and files

VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".m4v")
AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg", ".flac", ".m4a", ".aac")


def usage(message: str) -> NoReturn:
    """A command line that cannot make a request: exit 2, as argparse does."""
    print(f"avatarmesh: {message}", file=sys.stderr)
    raise SystemExit(EXIT_CODES["usage"])


def media(value: str, client: Client, out: Output) -> tuple[str, str]:
    """(what a media field takes, its kind) for a local file (uploaded first: its file
    id), a file id, or a URL (kind from its suffix)."""
    path = Path(value)
    if "://" not in value and path.is_file():
        uploaded = upload(client, out, path)
        return uploaded.id, uploaded.kind
    if value.startswith("file_"):
        return value, client.files.get(value).kind
    suffix = Path(value.split("?", 1)[0]).suffix.lower()
    kind = "video" if suffix in VIDEO_SUFFIXES else "audio" if suffix in AUDIO_SUFFIXES else "image"
    return value, kind


def flag_scene(args: argparse.Namespace, client: Client, out: Output) -> dict[str, Any] | None:
    """The one scene the flags describe (None when they describe none)."""
    character: dict[str, Any] | None = None
    if args.avatar:
        character = {"type": "avatar", "avatar_id": args.avatar}
    elif args.photo:
        photo, _ = media(args.photo, client, out)
        character = {"type": "talking_photo", "talking_photo_url": photo}
    voice: dict[str, Any] | None = None
    if args.text is not None:
        voice = {"type": "text", "input_text": args.text}
        if args.voice:
            voice["voice_id"] = args.voice
    elif args.audio:
        voice = {"type": "audio", "audio_url": media(args.audio, client, out)[0]}
    elif args.silence is not None:
        voice = {"type": "silence", "duration": args.silence}
    if voice is None:
        if character or args.background:
            usage("a scene needs --text, --audio or --silence")
        return None
    scene: dict[str, Any] = {"voice": voice}
    if character:
        scene["character"] = character
    if args.background:
        scene["background"] = background(args.background, client, out)
    return scene


def background(value: str, client: Client, out: Output) -> dict[str, Any]:
    if value.startswith("#"):
        return {"type": "color", "value": value}
    ref, kind = media(value, client, out)
    return {"type": "video" if kind == "video" else "image", "url": ref}


def studio_body(args: argparse.Namespace, client: Client, out: Output) -> dict[str, Any]:
    """The request: the ``--scenes`` file (a whole body, or a list of scenes), then
    the scene the flags describe appended, then the flags' settings."""
    body: dict[str, Any] = {}
    if args.scenes:
        try:
            loaded = json.loads(Path(args.scenes).read_text())
        except ValueError as exc:
            usage(f"{args.scenes} is not JSON: {exc}")
        if not isinstance(loaded, list | dict):
            usage(f"{args.scenes}: a JSON list of scenes, or a request object")
        body = {"video_inputs": loaded} if isinstance(loaded, list) else dict(loaded)
    scene = flag_scene(args, client, out)
    if scene is not None:
        body["video_inputs"] = [*body.get("video_inputs", []), scene]
    if not body.get("video_inputs"):
        usage("give --scenes FILE, or a scene: --avatar/--photo with --text/--audio/--silence")
    if args.size:
        width, _, height = args.size.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            usage(f"--size: WIDTHxHEIGHT, e.g. 1280x720 (got {args.size!r})")
        body["dimension"] = {"width": int(width), "height": int(height)}
    settings = {
        "title": args.title,
        "tier": args.tier,
        "fps": args.fps,
        "callback_url": args.callback,
        "caption": True if args.caption else None,
    }
    body.update({k: v for k, v in settings.items() if v is not None})
    return body


def studio_line(v: Any) -> str:
    url = f"  {v.video_url}" if v.video_url else ""
    scenes = f"{len(v.scenes)} scene" + ("s" if len(v.scenes) != 1 else "")
    return f"{v.id}  {v.status}  {v.tier}  {v.progress * 100:.0f}%  {scenes}{url}"


def cmd_studio_create(args: argparse.Namespace, client: Client, out: Output) -> None:
    created = client.studio.create(studio_body(args, client, out))
    if not (args.wait or args.out):
        out.result(created, lambda c: f"{c.id}  {c.status}  ${c.estimated_cost_usd:.2f} held")
        return
    with out.status(f"studio video {created.id}") as progress:
        video = client.studio.wait(created.id, timeout=args.timeout, on_progress=progress)
    if args.out:
        with out.transfer(f"downloading {args.out}") as on_bytes:
            client.studio.download(video, args.out, on_bytes)
    out.result(video, lambda v: studio_line(v) + (f"\nsaved {args.out}" if args.out else ""))


def cmd_studio_get(args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(client.studio.get(args.id), studio_line)


def cmd_studio_list(args: argparse.Namespace, client: Client, out: Output) -> None:
    items = (
        list(client.studio.iter()) if args.all else client.studio.list(args.page, args.limit).data
    )
    out.result(items, lambda rows: "\n".join(studio_line(v) for v in rows))


def cmd_studio_wait(args: argparse.Namespace, client: Client, out: Output) -> None:
    with out.status(f"studio video {args.id}") as progress:
        video = client.studio.wait(args.id, timeout=args.timeout, on_progress=progress)
    out.result(video, studio_line)


def cmd_studio_cancel(args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(client.studio.cancel(args.id), studio_line)


def cmd_studio_download(args: argparse.Namespace, client: Client, out: Output) -> None:
    with out.transfer(f"downloading {args.out}") as on_bytes:
        path = client.studio.download(args.id, args.out, on_bytes)
    out.result({"id": args.id, "path": str(path)}, lambda v: f"saved {v['path']}")


def file_line(f: Any) -> str:
    return f"{f.id}  {f.kind}  {f.status}  {f.size_bytes} B  {f.filename}"


def upload(client: Client, out: Output, path: Path, **kwargs: Any) -> Any:
    """``client.files.upload`` with a progress bar (rich) or a line when done."""
    with out.transfer(f"uploading {path.name} ({path.stat().st_size / 1e6:.1f} MB)") as bar:
        return client.files.upload(path, on_bytes=bar, **kwargs)


def cmd_files_upload(args: argparse.Namespace, client: Client, out: Output) -> None:
    uploaded = upload(
        client, out, Path(args.path), kind=args.kind, expires_in_seconds=args.expires_in
    )
    out.result(uploaded, file_line)


def cmd_files_list(args: argparse.Namespace, client: Client, out: Output) -> None:
    if args.all:
        items = list(client.files.iter(args.kind))
    else:
        items = client.files.list(args.kind, args.archived or None, args.page, args.limit).data
    out.result(items, lambda rows: "\n".join(file_line(f) for f in rows))


def cmd_files_get(args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(client.files.get(args.id), file_line)


def cmd_files_archive(args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(client.files.archive(args.id), file_line)


def cmd_tts(args: argparse.Namespace, client: Client, out: Output) -> None:
    voice = args.voice
    if voice.startswith("av_"):  # an avatar: speak in its voice
        voice = client.avatars.get(voice).tts_voice_id or voice
    wav = client.tts.synthesize(voice=voice, text=args.text, speed=args.speed)
    Path(args.out).write_bytes(wav)
    out.result({"path": args.out, "bytes": len(wav)}, lambda v: f"saved {v['path']}")


def cmd_balance(_args: argparse.Namespace, client: Client, out: Output) -> None:
    out.result(
        client.billing.balance(),
        lambda b: (
            f"${b.available_usd:.2f} available (${b.balance_usd:.2f} balance, "
            f"${b.held_usd:.2f} held), tier {b.tier}"
        ),
    )


def cmd_ledger(args: argparse.Namespace, client: Client, out: Output) -> None:
    rows = client.billing.ledger(args.page, args.limit).data
    out.result(
        rows,
        lambda rs: "\n".join(f"{e.created_at}  {e.kind:8}  {e.balance_delta_usd:+.6f}" for e in rs),
    )


def cmd_webhooks_secret(args: argparse.Namespace, client: Client, out: Output) -> None:
    secret = client.webhooks.rotate_secret() if args.rotate else client.webhooks.secret()
    out.result(secret, lambda s: s.secret)


def cmd_webhooks_deliveries(args: argparse.Namespace, client: Client, out: Output) -> None:
    rows = client.webhooks.deliveries(args.video).data
    out.result(
        rows,
        lambda rs: "\n".join(f"{a.at}  {a.event}  {a.video_gen_id}  {a.status_code}" for a in rs),
    )


def cmd_admin_key(args: argparse.Namespace, client: Client, out: Output) -> None:
    key = client.admin.create_api_key(args.owner, args.name)
    out.result(key, lambda k: k.key)


def cmd_admin_top_up(args: argparse.Namespace, client: Client, out: Output) -> None:
    wallet = client.admin.top_up(args.owner, args.amount, idempotency_key=args.key)
    out.result(wallet, lambda w: f"{w.owner_id}: ${w.balance_usd:.2f}")


def cmd_health(_args: argparse.Namespace, client: Client, out: Output) -> None:
    body = client.health()
    out.result(body, lambda b: f"{b.get('status')}: " + json.dumps(b.get("services")))
    if body.get("status") != "ok":
        raise SystemExit(EXIT_CODES["server"])


# ---------------------------------------------------------------- parser


def parser() -> argparse.ArgumentParser:
    codes = ", ".join(f"{v} {k}" for k, v in EXIT_CODES.items())
    root = argparse.ArgumentParser(
        prog="avatarmesh",
        description="The avatarmesh API from a shell.",
        epilog=f"exit codes: {codes}",
    )
    root.add_argument("--api-key", help="API key (else AVATARMESH_API_KEY, else the profile)")
    root.add_argument("--base-url", help="e.g. http://127.0.0.1:8080 (else AVATARMESH_BASE_URL)")
    root.add_argument("--admin-key", help="operators' key (else AVATARMESH_ADMIN_KEY)")
    root.add_argument("--profile", default=os.environ.get("AVATARMESH_PROFILE", "default"))
    root.add_argument("--json", action="store_true", help="print the API's JSON")
    root.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    sub = root.add_subparsers(dest="command", required=True)

    def command(parent: Any, name: str, func: Callable[..., None], **kw: Any) -> Any:
        p = parent.add_parser(name, **kw)
        p.set_defaults(func=func)
        return p

    def waits(p: argparse.ArgumentParser) -> None:
        p.add_argument("--timeout", type=float, default=900.0, help="seconds (default 900)")

    def paged(p: argparse.ArgumentParser) -> None:
        p.add_argument("--page", type=int, default=1)
        p.add_argument("--limit", type=int, default=20)
        p.add_argument("--all", action="store_true", help="every page")

    command(sub, "configure", cmd_configure, help="save key / base URL to the profile file")

    avatars = sub.add_parser("avatars", help="create, list, get, wait, delete").add_subparsers(
        dest="action", required=True
    )
    p = command(avatars, "create", cmd_avatars_create, help="create an avatar ($1.00)")
    p.add_argument("--name")
    p.add_argument("--describe", "--description", dest="describe")
    p.add_argument("--language", default="en")
    p.add_argument("--nationality")
    p.add_argument("--gender", choices=["male", "female"])
    p.add_argument("--accent")
    p.add_argument("--photo", help="seed portrait image file")
    p.add_argument("--video", help="talking-head clip file (face and voice from it)")
    p.add_argument("--wait", action="store_true", help="poll until ready")
    waits(p)
    paged(command(avatars, "list", cmd_avatars_list))
    command(avatars, "get", cmd_avatars_get).add_argument("id")
    p = command(avatars, "wait", cmd_avatars_wait)
    p.add_argument("id")
    waits(p)
    command(avatars, "delete", cmd_avatars_delete).add_argument("id")

    poses = sub.add_parser("poses", help="an avatar's poses").add_subparsers(
        dest="action", required=True
    )
    command(poses, "list", cmd_poses_list).add_argument("avatar")
    p = command(poses, "create", cmd_poses_create, help="create a pose ($0.013)")
    p.add_argument("avatar")
    p.add_argument("--prompt", required=True)
    p.add_argument("--name")

    videos = sub.add_parser("videos", help="lip-synced videos").add_subparsers(
        dest="action", required=True
    )
    p = command(videos, "create", cmd_videos_create, help="generate a video")
    p.add_argument("--avatar", required=True)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--text")
    group.add_argument("--audio", help="your own speech (audio file, <= 35 s)")
    p.add_argument("--tier", choices=["avatar", "avatar_pro"])
    p.add_argument("--pose")
    p.add_argument("--prompt", help="motion hint")
    p.add_argument("--webhook")
    p.add_argument("--resolution", type=int, choices=[512, 720, 1080, 1536])
    p.add_argument("--fps", type=int, choices=[24, 25, 30])
    p.add_argument("--wait", action="store_true")
    p.add_argument("--out", help="wait, then save the MP4 here")
    waits(p)
    command(videos, "get", cmd_videos_get).add_argument("id")
    paged(command(videos, "list", cmd_videos_list))
    p = command(videos, "wait", cmd_videos_wait)
    p.add_argument("id")
    waits(p)
    command(videos, "cancel", cmd_videos_cancel).add_argument("id")
    p = command(videos, "download", cmd_videos_download)
    p.add_argument("id")
    p.add_argument("--out", required=True)

    studio = sub.add_parser(
        "studio", help="studio videos: scenes, sizes, backgrounds"
    ).add_subparsers(dest="action", required=True)
    p = command(
        studio,
        "create",
        cmd_studio_create,
        help="a studio video from a JSON scenes file and/or one scene from flags",
        epilog="A local file given to --photo, --audio or --background is uploaded first "
        "(POST /api/v1/files) and used by its file id; a URL or a file id is sent as is.",
    )
    p.add_argument("--scenes", help="JSON file: a list of scenes, or a whole request")
    p.add_argument("--avatar", help="the scene's avatar (av_...)")
    p.add_argument("--photo", help="the scene's talking photo: file, URL or file id")
    said = p.add_mutually_exclusive_group()
    said.add_argument("--text", help="the scene's script")
    said.add_argument("--audio", help="the scene's speech: file, URL or file id")
    said.add_argument("--silence", type=float, help="a silent scene of this many seconds")
    p.add_argument("--voice", help="voice_id for --text (GET /api/v1/voices)")
    p.add_argument("--background", help="#rrggbb, or an image / video: file, URL or file id")
    p.add_argument("--size", help="WIDTHxHEIGHT, e.g. 1080x1920 (default 1280x720)")
    p.add_argument("--title")
    p.add_argument("--tier", choices=["avatar", "avatar_pro"])
    p.add_argument("--fps", type=int, choices=[24, 25, 30])
    p.add_argument("--caption", action="store_true", help="burn the captions in")
    p.add_argument("--callback", help="callback_url for video.* events")
    p.add_argument("--wait", action="store_true")
    p.add_argument("--out", help="wait, then save the MP4 here")
    waits(p)
    command(studio, "get", cmd_studio_get).add_argument("id")
    paged(command(studio, "list", cmd_studio_list))
    p = command(studio, "wait", cmd_studio_wait)
    p.add_argument("id")
    waits(p)
    command(studio, "cancel", cmd_studio_cancel).add_argument("id")
    p = command(studio, "download", cmd_studio_download)
    p.add_argument("id")
    p.add_argument("--out", required=True)

    files = sub.add_parser(
        "files", help="uploaded media: upload once, use anywhere"
    ).add_subparsers(dest="action", required=True)
    p = command(files, "upload", cmd_files_upload, help="upload an image, audio or video file")
    p.add_argument("path")
    p.add_argument("--kind", choices=["image", "audio", "video"])
    p.add_argument("--expires-in", type=float, help="archive it after this many seconds")
    p = command(files, "list", cmd_files_list)
    p.add_argument("--kind", choices=["image", "audio", "video"])
    p.add_argument("--archived", action="store_true", help="include archived files")
    paged(p)
    command(files, "get", cmd_files_get).add_argument("id")
    command(files, "archive", cmd_files_archive).add_argument("id")

    p = command(sub, "tts", cmd_tts, help="speech in an avatar's voice (WAV)")
    p.add_argument("--voice", required=True, help="a tts_voice_id, or an avatar id")
    p.add_argument("--text", required=True)
    p.add_argument("--speed", type=float)
    p.add_argument("--out", required=True)

    command(sub, "balance", cmd_balance, help="wallet balance")
    p = command(sub, "ledger", cmd_ledger, help="wallet ledger")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--limit", type=int, default=20)

    hooks = sub.add_parser("webhooks", help="signing secret, deliveries").add_subparsers(
        dest="action", required=True
    )
    command(hooks, "secret", cmd_webhooks_secret).add_argument("--rotate", action="store_true")
    command(hooks, "deliveries", cmd_webhooks_deliveries).add_argument("--video")

    admin = sub.add_parser("admin", help="operators (admin key)").add_subparsers(
        dest="action", required=True
    )
    p = command(admin, "create-key", cmd_admin_key, help="new API key for an owner")
    p.add_argument("owner")
    p.add_argument("--name")
    p = command(admin, "top-up", cmd_admin_top_up, help="add money to a wallet")
    p.add_argument("owner")
    p.add_argument("amount", help='dollars, e.g. 25 or "0.01"')
    p.add_argument("--key", help="idempotency key (the same key adds the money once)")
    command(sub, "health", cmd_health, help="every service's health")
    return root


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, ApiError):
        return _BY_STATUS.get(exc.status, EXIT_CODES["server"] if exc.status >= 500 else 1)
    if isinstance(exc, ConnectionFailed):
        return EXIT_CODES["server"]
    if isinstance(exc, JobFailed):
        return EXIT_CODES["job_failed"]
    if isinstance(exc, WaitTimeout):
        return EXIT_CODES["timeout"]
    return EXIT_CODES["error"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    profile = read_profile(args.profile)
    out = Output(args.json, not args.no_progress)
    client = Client(
        api_key=args.api_key or os.environ.get("AVATARMESH_API_KEY") or profile.get("api_key"),
        base_url=args.base_url or os.environ.get("AVATARMESH_BASE_URL") or profile.get("base_url"),
        admin_key=args.admin_key
        or os.environ.get("AVATARMESH_ADMIN_KEY")
        or profile.get("admin_key"),
    )
    try:
        with client:
            args.func(args, client, out)
    except (AvatarmeshError, OSError) as exc:
        code = exit_code(exc)
        if args.json:
            error = {
                "error": {"code": getattr(exc, "code", type(exc).__name__), "message": str(exc)}
            }
            print(json.dumps(error), file=sys.stderr)
        else:
            print(f"avatarmesh: {exc}", file=sys.stderr)
        return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
