import pytest

from tests import images as make
from tests.api.test_items_support import *


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=False)
async def test_scratch(client, live):
    h = await new_user(client)
    r = await client.post(
        ITEMS, json={"name": " Zelda ", "image": b64(make.phone_jpeg())}, headers=h
    )
    print(r.status_code, r.headers, r.text[:1000])
    r = await client.get(ITEMS, headers=h)
    print(r.status_code, r.text[:1000])
    item = r.json()["items"][0]
    r = await client.get(item["image"]["raw_url"], headers=h)
    print(r.status_code, r.headers, len(r.content))
    r = await client.get(
        item["image"]["thumbnail_url"], headers={**h, "If-None-Match": r.headers["etag"]}
    )
    print(r.status_code, r.headers, len(r.content))
    body, ct = multipart({"name": "x"}, ("a.png", make.png_with_alpha(), "image/png"))
    r = await client.post(ITEMS, content=body, headers={**h, "content-type": ct})
    print(r.status_code, r.text[:500])
    print(files_on_disk(live.settings.image_dir))
    r = await client.get("/docs/openapi.json")
    import json

    spec = r.json()
    p = spec["paths"]["/collection/items"]
    print(
        json.dumps(
            p["post"]["responses"]["201"]["content"]["application/json"]["schema"]["properties"][
                "image"
            ],
            indent=1,
        )
    )
    print(json.dumps(p["post"]["requestBody"], indent=1))
    print(json.dumps(p["get"]["responses"]["200"], indent=1)[:3000])
    print(json.dumps(p["get"]["parameters"], indent=1)[:3000])
    print(json.dumps(spec["paths"]["/collection/items/{item_id}/image/raw"], indent=1)[:3000])
