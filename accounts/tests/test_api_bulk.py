import pytest

from accounts.models import Customer

BULK = "/api/v1/customers/bulk"


def _rows(n, start=0):
    return [{"external_id": f"B{i}", "email": f"b{i}@example.com", "timezone": "Asia/Tokyo",
             "attributes": {"n": i}} for i in range(start, start + n)]


def test_bulk_creates_and_updates_with_counts(api, make_customer):
    make_customer(external_id="B0", first_name="Kept", attributes={"old": 1, "n": -1})
    r = api.post(BULK, {"customers": _rows(3)}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json() == {"created": 2, "updated": 1, "errors": []}
    b0 = Customer.objects.get(external_id="B0")
    assert b0.first_name == "Kept"
    assert b0.attributes == {"old": 1, "n": 0}
    assert b0.timezone == "Asia/Tokyo"


def test_invalid_rows_are_reported_by_index_and_valid_rows_kept(api):
    rows = _rows(4)
    rows[1]["timezone"] = "Nowhere/City"
    rows[3]["phone"] = "12"
    rows.append("not an object")
    r = api.post(BULK, rows, format="json")
    assert r.status_code == 200
    body = r.json()
    assert body["created"] == 2
    assert [(e["index"], sorted(e["fields"])) for e in body["errors"]] == [
        (1, ["timezone"]), (3, ["phone"]), (4, ["non_field_errors"])]
    assert set(Customer.objects.values_list("external_id", flat=True)) == {"B0", "B2"}


def test_row_without_external_id_is_reported(api):
    r = api.post(BULK, [{"email": "a@example.com"}], format="json")
    assert r.json()["errors"][0]["fields"] == {"external_id": ["This field is required."]}


def test_oversized_batch_is_rejected_whole(api):
    r = api.post(BULK, [{"external_id": f"X{i}"} for i in range(10_001)], format="json")
    assert r.status_code == 400
    assert "customers" in r.json()["fields"]
    assert Customer.objects.count() == 0


def test_empty_batch_is_400(api):
    assert api.post(BULK, [], format="json").status_code == 400


@pytest.mark.parametrize("rows", [10, 1000])
def test_query_count_does_not_grow_with_rows(api, make_customer, django_assert_max_num_queries, rows):
    for i in range(0, rows, 2):  # half the rows exist already
        make_customer(external_id=f"B{i}")
    # auth lookup + key touch + select existing + one upsert (+ savepoint bookkeeping)
    with django_assert_max_num_queries(6):
        r = api.post(BULK, _rows(rows), format="json")
    assert r.json()["created"] == rows // 2
    assert Customer.objects.filter(timezone="Asia/Tokyo").count() == rows


def test_ten_thousand_rows_are_accepted(api):
    r = api.post(BULK, _rows(10_000), format="json")
    assert r.status_code == 200
    assert r.json()["created"] == 10_000
