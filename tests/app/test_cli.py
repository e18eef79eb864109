"""The command line: each command works, and refuses bad input in one line, changing nothing."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.extensions import close_pools, db
from survey.models import Answer, Department, InvitationLink, Organisation, QuestionnaireVersion, Response, Round, User
from survey.tokens import hash_token
from tests.factories import SHIPPED, DepartmentFactory, QuestionnaireVersionFactory, RoundFactory


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(result) -> str:
    """A refusal: non-zero exit and a one-line reason on the last line."""
    assert result.exit_code != 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ")
    assert "Traceback" not in result.output
    return last


def test_questionnaire_check_accepts_the_shipped_file(runner):
    result = runner.invoke(args=["questionnaire", "check", str(SHIPPED)])
    assert result.exit_code == 0
    assert "ok (npm-paradigm version 1, 8 dimensions, 40 items)" in result.output


def test_questionnaire_check_prints_every_problem_as_file_line_message(runner, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(SHIPPED.read_text().replace("horizon: quick-win", "horizon: someday", 2).replace(
        "weight: 1", "weight: zero", 1))
    result = runner.invoke(args=["questionnaire", "check", str(broken)])
    lines = result.output.strip().splitlines()
    problems = [line for line in lines if line.startswith(f"{broken}:")]
    assert len(problems) == 3
    assert all(line.split(":")[1].isdigit() for line in problems)
    assert refused(result) == f"Error: 3 problem(s) in {broken}"


def test_questionnaire_load_freezes_once_and_refuses_changed_content(runner, tmp_path):
    assert runner.invoke(args=["questionnaire", "load", str(SHIPPED)]).exit_code == 0
    again = runner.invoke(args=["questionnaire", "load", str(SHIPPED)])
    assert "already loaded, unchanged" in again.output
    changed = tmp_path / "changed.yaml"
    changed.write_text(SHIPPED.read_text().replace('title: "How we work', 'title: "How we really work', 1))
    assert "is frozen" in refused(runner.invoke(args=["questionnaire", "load", str(changed)]))
    assert count(QuestionnaireVersion) == 1


def test_questionnaire_load_of_a_broken_file_loads_nothing(runner, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nversion: 1\n")
    result = runner.invoke(args=["questionnaire", "load", str(broken)])
    assert "nothing was loaded" in refused(result)
    assert count(QuestionnaireVersion) == 0


def test_the_structure_commands_build_an_organisation(runner):
    QuestionnaireVersionFactory()
    assert runner.invoke(args=["org", "create", "Northshire"]).exit_code == 0
    assert runner.invoke(args=["department", "create", "Northshire", "Housing"]).exit_code == 0
    result = runner.invoke(args=["department", "create", "Northshire", "Housing Options", "--parent", "Housing"])
    assert result.exit_code == 0
    result = runner.invoke(args=["round", "create", "Northshire", "Spring", "--questionnaire", "npm-paradigm:1",
                                 "--desired", "--closes", "2099-01-31"])
    assert result.exit_code == 0
    round_id = int(result.output.strip().splitlines()[-1])
    survey_round = db.session.get(Round, round_id)
    assert survey_round.asks_desired and survey_round.closes_at.year == 2099
    child = db.session.scalar(select(Department).filter_by(name="Housing Options"))
    assert child.parent.name == "Housing"

    result = runner.invoke(args=["link", "create", str(round_id), "Housing Options"])
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("http://localhost/s/")
    token = url.rsplit("/", 1)[-1]
    assert len(token) >= 43  # 256 bits, url-safe base64
    link = db.session.scalar(select(InvitationLink))
    assert link.token_hash == hash_token(token) and token not in link.token_hash


@pytest.mark.parametrize(("args", "reason"), [
    (["org", "create", "   "], "organisation name must not be empty"),
    (["department", "create", "Nowhere", "Team"], "no organisation called 'Nowhere'"),
    (["department", "create", "Northshire", "Team", "--parent", "Ghost"],
     "Northshire has no department called 'Ghost'"),
    (["round", "create", "Northshire", "R", "--questionnaire", "unknown"],
     "no questionnaire 'unknown' has been loaded"),
    (["round", "create", "Northshire", "R", "--questionnaire", "npm-paradigm:x"], "version must be a number"),
    (["round", "create", "Northshire", "R", "--questionnaire", "npm-paradigm", "--opens", "2030-01-02",
      "--closes", "2030-01-01"], "a round must close after it opens"),
    (["round", "create", "Northshire", "R", "--questionnaire", "npm-paradigm", "--closes", "soon"],
     "is not a date like 2026-03-31"),
    (["link", "create", "999999", "Housing"], "no round '999999'"),
    (["user", "create", "not-an-email", "--role", "consultant"], "is not a valid email address"),
    (["user", "create", "a@example.org", "--role", "consultant", "--password", "short"], "at least 12 characters"),
])
def test_bad_input_is_refused_in_one_line_and_changes_nothing(runner, args, reason):
    QuestionnaireVersionFactory()
    runner.invoke(args=["org", "create", "Northshire"])
    before = [count(m) for m in (Organisation, Department, Round, InvitationLink, User)]
    assert reason in runner.invoke(args=args).output
    assert [count(m) for m in (Organisation, Department, Round, InvitationLink, User)] == before


def test_duplicates_are_refused(runner):
    department = DepartmentFactory(name="Housing")
    org = department.organisation.name
    assert "already exists" in refused(runner.invoke(args=["org", "create", org]))
    assert "already has a department" in refused(runner.invoke(args=["department", "create", org, "Housing"]))


def test_a_link_for_another_organisations_department_is_refused(runner):
    survey_round = RoundFactory()
    DepartmentFactory(name="Elsewhere")
    assert "has no department called 'Elsewhere'" in refused(
        runner.invoke(args=["link", "create", str(survey_round.id), "Elsewhere"]))


def test_user_create_prints_a_generated_password_and_stores_only_a_hash(runner):
    result = runner.invoke(args=["user", "create", "Consultant@Example.org", "--role", "consultant"])
    assert result.exit_code == 0
    password = result.output.strip().splitlines()[-1].removeprefix("Password: ")
    user = db.session.scalar(select(User))
    assert user.email == "consultant@example.org"
    assert user.password_hash.startswith("$argon2id$") and password not in user.password_hash


def test_responses_import_all_or_nothing(runner, tmp_path):
    survey_round = RoundFactory(desired=True)
    DepartmentFactory(organisation=survey_round.organisation, name="Housing")
    bad = tmp_path / "bad.csv"
    bad.write_text("department,respondent,item,current,desired\nHousing,a,roles-1,3,5\nHousing,a,roles-2,8,\n"
                   "Nowhere,b,roles-1,1,1\n")
    result = runner.invoke(args=["responses", "import", str(survey_round.id), str(bad)])
    assert "row 3: current must be a whole number from 1 to 7 or empty, not '8'" in result.output
    assert "row 4: unknown department 'Nowhere'" in result.output
    assert refused(result) == "Error: 2 problem(s) found; nothing was imported"
    assert count(Response) == 0 and count(Answer) == 0

    good = tmp_path / "good.csv"
    good.write_text("department,respondent,item,current,desired\nHousing,a,roles-1,3,5\nHousing,a,roles-2,,7\n"
                    "Housing,b,roles-1,6,6\n")
    result = runner.invoke(args=["responses", "import", str(survey_round.id), str(good)])
    assert result.exit_code == 0 and "Imported 2 paper response(s)" in result.output
    assert count(Response) == 2 and count(Answer) == 6
    assert "already imported" in runner.invoke(args=["responses", "import", str(survey_round.id), str(good)]).output
    assert count(Response) == 2


def test_responses_import_of_a_missing_file_is_one_line(runner):
    survey_round = RoundFactory()
    assert "cannot read" in refused(runner.invoke(args=["responses", "import", str(survey_round.id), "/nope.csv"]))


def test_commands_on_an_unmigrated_database_say_how_to_fix_it(tmp_path):
    from survey import create_app

    bare = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}",
                       "SECRET_KEY": "x"})
    result = bare.test_cli_runner().invoke(args=["org", "create", "Anything"])
    assert "run flask --app survey db upgrade" in refused(result)


def test_demo_sets_up_everything_and_a_second_run_reuses_it(tmp_path, monkeypatch):
    from survey import create_app

    monkeypatch.setattr("survey.assets.ensure_assets", lambda echo=print: None)
    monkeypatch.setattr("survey.cli.ensure_assets", lambda echo=print: None)
    demo_app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}", "SECRET_KEY": "x"})
    demo_app.instance_path = str(tmp_path)
    first = demo_app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    second = demo_app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "Consultant sign-in: consultant@example.org" in second.output
    links = [line for line in first.output.splitlines() if "/s/" in line]
    assert links and links == [line for line in second.output.splitlines() if "/s/" in line]
    with demo_app.app_context():
        from survey.extensions import db as demo_db

        assert demo_db.session.scalar(select(func.count()).select_from(Organisation)) == 1
        rounds = demo_db.session.scalars(select(Round)).all()
        assert len(rounds) == 3
        sizes = demo_db.session.execute(
            select(Response.round_id, Department.name, func.count(Response.id))
            .join(Response).group_by(Response.round_id, Department.name)
        ).all()
        assert any(n < 5 for *_, n in sizes) and any(n >= 5 for *_, n in sizes)
        demo_db.session.remove()
        close_pools()


def test_the_migrations_match_the_models(app, database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_schema_json_file_lives_with_the_questionnaires():
    assert (Path(SHIPPED).parent / "schema.json").exists()
