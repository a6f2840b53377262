"""The least-active members report (the health area's /points/inactive page)."""


def test_least_active_report_offers_message_and_remove(world, as_user):
    page = as_user(world.owner).get("/p/alpha/points/inactive").get_data(as_text=True)
    assert f'href="/messages/alpha/{world.member.id}"' in page
    assert "/remove" in page
    assert as_user(world.member).get("/p/alpha/points/inactive").status_code == 403
