"""Screenshots of every page of the web application, in Chinese and English, at 1366×768 and a 390 px phone.

Run: ``python scripts/screenshots.py [--out docs/screenshots] [--database PATH]``. Without ``--database`` it
loads the demo into a temporary SQLite file (about 20 s). It serves the app on a free loopback port, signs
in as the user each page is meant for, and writes ``<page>-<lang>-<width>.png`` (the desktop shot is the
page down to 2,400 px, the phone shot the first screen; quantised by pngquant when installed). It also
prints, per shot, whether the page is wider than the window (a horizontal overflow) and exits 1 if any is.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES: list[tuple[str, str, str | None]] = [
    ("login", "/login", None),
    ("calculators", "/calculators", None),
    ("dashboard", "/", "officer"),
    ("households", "/households?township=惠安堡镇", "clerk_hab"),
    ("household", "/households/{household}", "officer"),
    ("duplicates", "/households/duplicates", "officer"),
    ("ledger-import", "/ledger/import", "clerk_hab"),
    ("acceptance", "/acceptance", "inspector"),
    ("payments", "/payments", "officer"),
    ("funds", "/funds", "officer"),
    ("enterprises", "/enterprises", "officer"),
    ("enterprise", "/enterprises/ENT-01", "officer"),
    ("reports", "/reports", "clerk_hab"),
    ("tickets", "/tickets", "officer"),
    ("ticket", "/tickets/{ticket}", "officer"),
    ("audit", "/audit", "auditor"),
    ("beijing", "/beijing", "officer"),
    ("parameters", "/parameters", "officer"),
    ("users", "/users", "admin1"),
]
"""(name, path, user) of each page shot; ``{household}`` is the first household with a payment and a closed
ticket that went through every stage (its timeline shows them), ``{ticket}`` that ticket."""
MAX_HEIGHT_PX = 2400
"""The longest desktop shot; the rest of a long page (the parameter tree) is what the first screens show more of."""
VIEWPORTS = {"1366": {"width": 1366, "height": 768}, "390": {"width": 390, "height": 844}}


def shrink(path: Path) -> None:
    """Quantise a PNG to 256 colours with pngquant when it is installed (a third of the size, same look)."""
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--quality=70-95", "--output", str(path), str(path)],
                       check=False)


def main() -> int:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from cleanheat.registry import db
    from cleanheat.registry.models import Household, Payment, Ticket, TicketEvent
    from tests.web.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer
    from tests.web.conftest import PASSWORD, add_users, make_app

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--database", type=Path, help="a demo database with the test users (else one is made)")
    ap.add_argument("--only", nargs="*", help="page names to shoot (default: all)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shots.sqlite3"
        if args.database:
            db.copy_sqlite(args.database, path)
        else:
            from cleanheat.registry.services.demo import load_demo

            engine = db.open_database(f"sqlite:///{path}", create=True)
            with db.session_scope(engine) as s:
                load_demo(session=s, seed=0)
            engine.dispose()
            add_users(f"sqlite:///{path}")
        engine = db.open_database(f"sqlite:///{path}")
        with db.session_scope(engine, read_only=True) as s:
            assigned = select(TicketEvent.ticket_id).where(TicketEvent.stage == "assigned")
            household, ticket = s.execute(
                select(Household.household_id, Ticket.id).join(Payment, Payment.household_id == Household.id)
                .join(Ticket, Ticket.household_id == Household.id)
                .where(Ticket.stage == "closed", Ticket.id.in_(assigned)).order_by(Household.id).limit(1)).one()
        engine.dispose()
        server = LiveServer(make_app(path))
        overflow = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, route, user in PAGES:
                    if args.only and name not in args.only:
                        continue
                    for width, viewport in VIEWPORTS.items():
                        context = browser.new_context(viewport=viewport, device_scale_factor=1)
                        page = context.new_page()
                        if user:
                            page.goto(f"{server.url}/login")
                            page.fill("#username", user)
                            page.fill("#password", PASSWORD)
                            page.click("button[type=submit]")
                            page.wait_for_load_state("networkidle")
                        for lang in ("zh_CN", "en"):
                            sep = "&" if "?" in route else "?"
                            page.goto(f"{server.url}{route.format(household=household, ticket=ticket)}{sep}lang={lang}")
                            page.wait_for_load_state("networkidle")
                            page.wait_for_timeout(400)  # charts animate in
                            short = "zh" if lang == "zh_CN" else "en"
                            out = args.out / f"{name}-{short}-{width}.png"
                            if width == "1366":  # the page down to MAX_HEIGHT_PX (a long table is cut)
                                height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT_PX)
                                page.screenshot(path=str(out), full_page=True,
                                                clip={"x": 0, "y": 0, "width": 1366, "height": height})
                            else:
                                page.screenshot(path=str(out))
                            shrink(out)
                            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
                            if wide:
                                overflow.append(out.name)
                            print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}"
                                  f"{'  OVERFLOWS' if wide else ''}")
                        context.close()
                browser.close()
        finally:
            server.stop()
    if overflow:
        print(f"{len(overflow)} shot(s) wider than the window: {', '.join(overflow)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
