"""What the pages call the item fields' codes (item_details.py), in words."""

from __future__ import annotations

from typing import Final

STATUS_LABELS: Final = {
    "owned": "Owned",
    "wishlist": "Wishlist",
    "for_trade": "For trade",
    "sold": "Sold",
}
REGION_LABELS: Final = {
    "ntsc_u": "NTSC-U (North America)",
    "pal": "PAL (Europe, Australia)",
    "ntsc_j": "NTSC-J (Japan)",
    "ntsc_c": "NTSC-C (China)",
    "region_free": "Region-free",
    "other": "Other",
}
COMPLETENESS_LABELS: Final = {
    "sealed": "Sealed",
    "graded": "Graded",
    "cib": "Complete in box",
    "boxed": "Boxed, no manual",
    "loose": "Loose",
    "box_only": "Box only",
    "manual_only": "Manual only",
    "unknown": "Not recorded",
}
CONDITION_LABELS: Final = {
    "mint": "Mint",
    "near_mint": "Near mint",
    "very_good": "Very good",
    "good": "Good",
    "fair": "Fair",
    "poor": "Poor",
}
PART_LABELS: Final = {"game": "Game", "box": "Box", "manual": "Manual", "inserts": "Inserts"}
SORT_LABELS: Final = {
    "added": "Newest first",
    "-added": "Oldest first",
    "name": "Name",
    "platform": "Platform",
    "price": "Price, lowest first",
    "-price": "Price, highest first",
}
