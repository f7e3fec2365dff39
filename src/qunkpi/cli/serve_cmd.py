"""``qunkpi serve`` (the web dashboard) and ``qunkpi user add|list|assign`` (its accounts)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qunkpi.cli.common import WorkspaceOpt, console, err_console, user_errors
from qunkpi.i18n import tr


def _check_workspace(workspace: Path) -> None:
    from qunkpi.errors import WorkspaceError
    from qunkpi.workspace.workspace import CONFIG_FILE

    if not (workspace / CONFIG_FILE).exists():
        raise WorkspaceError(
            tr(
                f"{workspace}：不是 qunkpi 工作区（先 `qunkpi init {workspace}`）",
                f"{workspace}: not a qunkpi workspace — create one with `qunkpi init {workspace}`",
            )
        )


def register(app: typer.Typer) -> None:
    @app.command(
        "serve",
        help=tr(
            "启动网页看板（默认 http://127.0.0.1:8000，只读打开工作区；导入数据前请先停止服务）",
            "start the web dashboard (default http://127.0.0.1:8000; opens the workspace read-only — stop it before an import)",
        ),
    )
    def serve_cmd(
        workspace: WorkspaceOpt,
        host: Annotated[str, typer.Option(help=tr("监听地址", "address to listen on"))] = "127.0.0.1",
        port: Annotated[int, typer.Option(help=tr("端口", "port"))] = 8000,
        secure_cookies: Annotated[
            bool,
            typer.Option(
                "--secure-cookies/--no-secure-cookies",
                help=tr(
                    "给会话 Cookie 加 Secure（经 HTTPS 反向代理提供服务时打开）",
                    "mark session cookies Secure (turn on when served over HTTPS behind a proxy)",
                ),
            ),
        ] = False,
        trusted_proxy: Annotated[
            list[str] | None,
            typer.Option(
                "--trusted-proxy",
                help=tr(
                    "可信反向代理地址或网段，可多次； 只对来自它的请求采信 X-Forwarded-For 作为客户端地址（登录限速用）",
                    "address or network of a reverse proxy (repeatable): only requests from it have their "
                    "X-Forwarded-For believed as the client address (login rate limit)",
                ),
            ),
        ] = None,
    ) -> None:
        import uvicorn

        from qunkpi.web.app import create_app
        from qunkpi.web.auth import UserStore

        with user_errors():
            _check_workspace(workspace)
            if not UserStore(workspace).all():
                err_console.print(
                    tr(
                        f"提示：还没有看板账号，先运行 `qunkpi user add --workspace {workspace} admin --role admin`",
                        f"note: no dashboard accounts yet; create one with `qunkpi user add --workspace {workspace} admin --role admin`",
                    )
                )
            web = create_app(
                workspace, secure_cookies=secure_cookies, warm=True, trusted_proxies=trusted_proxy or ()
            )
        console.print(
            tr(
                f"看板：http://{host}:{port}/  （Ctrl+C 停止）",
                f"dashboard: http://{host}:{port}/  (Ctrl+C to stop)",
            )
        )
        # proxy_headers=False: uvicorn would otherwise take X-Forwarded-For from any 127.0.0.1 peer; the app
        # decides itself, from --trusted-proxy (web/ratelimit.py)
        uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)

    user_app = typer.Typer(
        help=tr("看板账号：添加、列出、分配社群", "dashboard accounts: add, list, assign communities"),
        no_args_is_help=True,
    )
    app.add_typer(user_app, name="user")

    @user_app.command(
        "add",
        help=tr(
            "添加账号；密码从 --password-env 指定的环境变量读取，否则交互输入",
            "add an account; the password comes from the variable named by --password-env, else a prompt",
        ),
    )
    def user_add(
        workspace: WorkspaceOpt,
        username: Annotated[str, typer.Argument(help=tr("用户名", "user name"))],
        role: Annotated[str, typer.Option(help="admin | manager | operator")] = "operator",
        team: Annotated[
            str | None,
            typer.Option(
                help=tr("团队（经理看到本团队的社群）", "team (a manager sees their team's communities)")
            ),
        ] = None,
        staff: Annotated[
            str | None,
            typer.Option(
                "--staff",
                help=tr(
                    "对应的员工 ID（原始 ID，会按工作区密钥假名化）",
                    "the staff id this account belongs to (raw id; pseudonymised with the workspace key)",
                ),
            ),
        ] = None,
        community: Annotated[
            list[str] | None,
            typer.Option(
                "--community", "-c", help=tr("分配的社群 ID（可多次）", "assigned community id (repeatable)")
            ),
        ] = None,
        name: Annotated[str | None, typer.Option("--name", help=tr("显示名", "display name"))] = None,
        password_env: Annotated[
            str | None,
            typer.Option(
                "--password-env",
                help=tr(
                    "从这个环境变量读取密码（脚本用）",
                    "read the password from this environment variable (for scripts)",
                ),
            ),
        ] = None,
        replace: Annotated[
            bool, typer.Option("--replace", help=tr("覆盖已有账号", "overwrite an existing account"))
        ] = False,
    ) -> None:
        from qunkpi.web.auth import UserError, UserStore
        from qunkpi.workspace import Workspace

        with user_errors():
            _check_workspace(workspace)
            if password_env:
                password = os.environ.get(password_env, "")
                if not password:
                    raise UserError(
                        tr(
                            f"环境变量 {password_env} 为空",
                            f"the environment variable {password_env} is empty",
                        )
                    )
            else:
                password = getpass.getpass(tr("密码：", "Password: "))
                if password != getpass.getpass(tr("再输入一次：", "Again: ")):
                    raise UserError(tr("两次输入的密码不一致", "the passwords do not match"))
            staff_id = None
            if staff:
                # person_id needs only the key file, not the database (which the server may hold open)
                staff_id = Workspace.open(workspace, read_only=True).person_id(staff)
            u = UserStore(workspace).add(
                username,
                password,
                role,
                team=team,
                staff_id=staff_id,
                communities=community,
                display_name=name,
                replace=replace,
            )
        console.print(tr(f"已添加 {u.username}（{u.role}）", f"added {u.username} ({u.role})"))

    @user_app.command("list", help=tr("列出账号", "list accounts"))
    def user_list(workspace: WorkspaceOpt) -> None:
        from qunkpi.web.auth import UserStore

        with user_errors():
            _check_workspace(workspace)
            users = UserStore(workspace).all()
        t = Table(
            tr("用户名", "user"),
            tr("角色", "role"),
            tr("团队", "team"),
            tr("员工", "staff"),
            tr("社群", "communities"),
        )
        for u in users:
            t.add_row(u.username, u.role, u.team or "", (u.staff_id or "")[:12], ", ".join(u.communities))
        console.print(t)

    @user_app.command(
        "assign",
        help=tr(
            "给账号分配（或 --remove 收回）社群",
            "assign communities to an account (or take them back with --remove)",
        ),
    )
    def user_assign(
        workspace: WorkspaceOpt,
        username: Annotated[str, typer.Argument(help=tr("用户名", "user name"))],
        community: Annotated[
            list[str],
            typer.Option("--community", "-c", help=tr("社群 ID（可多次）", "community id (repeatable)")),
        ],
        remove: Annotated[
            bool, typer.Option("--remove", help=tr("收回而不是分配", "take away instead of assign"))
        ] = False,
    ) -> None:
        from qunkpi.web.auth import UserStore

        with user_errors():
            _check_workspace(workspace)
            u = UserStore(workspace).assign(username, community, remove=remove)
        console.print(
            tr(
                f"{u.username} 的社群：{', '.join(u.communities) or '无'}",
                f"{u.username} now sees: {', '.join(u.communities) or 'none'}",
            )
        )
