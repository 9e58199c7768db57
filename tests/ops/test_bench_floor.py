"""The render floor (bench/plugin/floor.py, issue 22): ``/benchfloor/list/`` in bench mode shows a
user exactly the first page the complaint list shows it — the same cases in the same order, with
the same masked name and phone — refuses an anonymous request, and does not exist without bench
mode."""
import re
from datetime import datetime, timedelta

import pytest

from app.security import roles as r
from app.security.sync import sync_roles
from tests.conftest import web_login

NAMES = ("张三丰", "欧阳娜娜", "李四", "王五六")


def table_rows(html):
    """The data cells of each row of the page's table (the buttons cell left out)."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        cells = [cell for cell in cells if not cell.startswith("<center>")]
        if cells:
            rows.append(cells)
    return rows


class TestBenchModeOn:
    @pytest.fixture
    def app(self, bench_app):
        """The suite's database copy served with BENCH_MODE on, permissions synced as the bench's
        deploy step does."""
        sync_roles(bench_app.appbuilder)
        return bench_app

    @pytest.fixture
    def listed(self, users, org, make_complaint):
        """More cases of the branch head's branch than a page holds (two received at the same
        minute: the order falls back on the id), and cases of a branch outside its scope."""
        counter = users[r.COUNTER_STAFF]
        start = datetime(2026, 11, 2, 9, 0)
        made = []
        for i in range(28):
            when = start + timedelta(hours=5 * (6 if i == 7 else i))
            made.append(make_complaint(counter, now=when, complainant_name=NAMES[i % len(NAMES)],
                                       complainant_phone=f"139{i:08d}"))
        outside = [make_complaint(users[r.DISCIPLINE_OFFICE], now=start + timedelta(days=20, hours=i),
                                  branch_id=org["b1"].id, complainant_phone=f"137{i:08d}") for i in range(3)]
        return made, outside

    @pytest.mark.parametrize("username", ["branchhead", "discipline"])
    def test_the_floor_shows_the_list_pages_first_page(self, client, listed, username):
        made, outside = listed
        assert web_login(client, username).status_code == 302
        page = client.get("/complaints/list/")
        floor = client.get("/benchfloor/list/")
        assert page.status_code == 200 and floor.status_code == 200
        ours, theirs = table_rows(page.get_data(as_text=True)), table_rows(floor.get_data(as_text=True))
        assert len(ours) == 25
        # The same cases in the same order, every cell as the list shows it: the masked name and
        # phone included (a list never shows a complainant in full).
        assert theirs == ours
        html = floor.get_data(as_text=True)
        assert not any(case.complainant_phone in html for case in made + outside)
        assert "139****0027" in html and "王**" in html
        numbers = [row[0] for row in theirs]
        if username == "branchhead":
            assert not any(case.number in numbers for case in outside)
        else:
            assert all(case.number in numbers for case in outside)
        # The list's total, in the pager's count.
        total = len(made) + (0 if username == "branchhead" else len(outside))
        assert re.search(rf"</strong>\s*{total}\s*</div>", html), total

    def test_the_floor_refuses_an_anonymous_request(self, client, listed):
        response = client.get("/benchfloor/list/")
        assert response.status_code == 302
        assert "/login/" in response.headers["Location"]
        assert "TS" not in response.get_data(as_text=True)


def test_no_floor_without_bench_mode(client, users):
    """The suite's ordinary application (BENCH_MODE off): no such route, even logged in."""
    assert not client.application.config["BENCH_MODE"]
    assert "BenchFloorView" not in client.application.blueprints
    assert web_login(client, "branchhead").status_code == 302
    assert client.get("/benchfloor/list/").status_code == 404
