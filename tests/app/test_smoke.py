from tests.factories import LinkFactory


def test_the_start_page_of_an_invitation_link_explains_the_survey(client):
    link = LinkFactory()
    page = client.get(f"/s/{link.token}")
    assert page.status_code == 200
    assert "Your answers are anonymous" in page.get_data(as_text=True)
