"""Text files as users send them from Chinese office software: UTF-8 (with or without the byte-order
mark Excel writes) or GBK — read as GB18030, its superset, which Excel and WPS use for "CSV" on a
Chinese Windows. No Flask here: the caller words the refusal."""
from typing import Optional

ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(content: bytes) -> Optional[str]:
    """``content`` as text in the first encoding that reads all of it (UTF-8 first: a GBK file is
    almost never valid UTF-8, while much UTF-8 is also valid GB18030), or None when neither does."""
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
