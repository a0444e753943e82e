"""Small synthetic LinkedIn and Reddit data exports, with the columns the sites really write.

- LinkedIn ("Get a copy of your data"): `messages.csv` with every header cell quoted, as the
  real one is (CONVERSATION ID ... FOLDER, ATTACHMENTS, IS MESSAGE DRAFT, IS CONVERSATION DRAFT),
  `Shares.csv`, `Comments.csv`, `Invitations.csv`, `Profile.csv`, and `Connections.csv` with
  its "Notes:" preamble. Dates as LinkedIn writes them per file.
- Reddit (data request): `posts.csv`, `comments.csv`, `messages.csv`, `statistics.csv`,
  `subscribed_subreddits.csv`; dates `YYYY-MM-DD HH:MM:SS UTC`.
"""

from __future__ import annotations

import csv
from pathlib import Path

OWNER_URL = "https://www.linkedin.com/in/acme-webworks"
OWNER_NAME = "Avery Acme"
SAM_URL = "https://www.linkedin.com/in/sam-rivera-1a2b3c"
JO_URL = "https://www.linkedin.com/in/jo-baker"
LEE_URL = "https://www.linkedin.com/in/lee-cafe"
PITCH = (
    "Hi! Thanks for connecting. We build fast websites for bakeries, check out "
    "https://acme-webworks.example and book a call this week for 20% off!"
)

MESSAGE_HEADER = [
    "CONVERSATION ID",
    "CONVERSATION TITLE",
    "FROM",
    "SENDER PROFILE URL",
    "TO",
    "RECIPIENT PROFILE URLS",
    "DATE",
    "SUBJECT",
    "CONTENT",
    "FOLDER",
    "ATTACHMENTS",
    "IS MESSAGE DRAFT",
    "IS CONVERSATION DRAFT",
]


def _write(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    quote_all: bool = False,
    preamble: str = "",
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(preamble)
        writer = csv.writer(file, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)


def message(
    conversation: str,
    sender: str,
    sender_url: str,
    to: str,
    to_url: str,
    when: str,
    content: str,
    *,
    subject: str = "",
    draft: str = "No",
) -> list[str]:
    return [
        conversation,
        "",
        sender,
        sender_url,
        to,
        to_url,
        when,
        subject,
        content,
        "INBOX",
        "",
        draft,
        "No",
    ]


def linkedin_messages() -> list[list[str]]:
    return [
        # A cold pitch to Sam, who never wrote.
        message(
            "2-c1", OWNER_NAME, OWNER_URL, "Sam Rivera", SAM_URL, "2024-03-01 09:00:00 UTC", PITCH
        ),
        # Jo wrote first; the owner's answer is a conversation.
        message(
            "2-c2",
            "Jo Baker",
            JO_URL,
            OWNER_NAME,
            OWNER_URL,
            "2024-03-02 08:00:00 UTC",
            "Hi, do you build websites for bakeries? Mine needs a new one.",
        ),
        message(
            "2-c2",
            OWNER_NAME,
            OWNER_URL,
            "Jo Baker",
            JO_URL,
            "2024-03-02 09:30:00 UTC",
            "Yes we do! Here are some examples: https://acme-webworks.example/work",
        ),
        # Lee wrote to the owner (received: left out).
        message(
            "2-c3",
            "Lee Cafe",
            LEE_URL,
            OWNER_NAME,
            OWNER_URL,
            "2024-03-03 10:00:00 UTC",
            'Loved your talk at the meetup, "great" slides.\nSee you next month.',
        ),
        # An unsent draft: left out.
        message(
            "2-c4",
            OWNER_NAME,
            OWNER_URL,
            "Sam Rivera",
            SAM_URL,
            "2024-03-04 10:00:00 UTC",
            "Draft I never sent",
            draft="Yes",
        ),
    ]


def write_linkedin_export(
    folder: Path, *, with_invitations: bool = True, with_profile: bool = True
) -> Path:
    _write(folder / "messages.csv", MESSAGE_HEADER, linkedin_messages(), quote_all=True)
    _write(
        folder / "Shares.csv",
        ["Date", "ShareLink", "ShareCommentary", "SharedUrl", "MediaUrl", "Visibility"],
        [
            [
                "2024-02-01 12:00:00",
                "https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A1",
                "Five things every bakery website needs, from our spring workshop.",
                "https://acme-webworks.example/blog/bakeries",
                "",
                "MEMBER_NETWORK",
            ],
            [
                "2024-02-05 12:00:00",
                "https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A2",
                "",
                "https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A9",
                "",
                "MEMBER_NETWORK",
            ],
        ],
    )
    _write(
        folder / "Comments.csv",
        ["Date", "Link", "Message"],
        [
            [
                "2024-02-10 15:00:00",
                "https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A77",
                "Great post! We build websites like this, DM me for 20% off: acme-webworks.example",
            ]
        ],
    )
    if with_invitations:
        _write(
            folder / "Invitations.csv",
            [
                "From",
                "To",
                "Sent At",
                "Message",
                "Direction",
                "inviterProfileUrl",
                "inviteeProfileUrl",
            ],
            [
                [
                    OWNER_NAME,
                    "Sam Rivera",
                    "2/28/24, 8:15 AM",
                    "Hi Sam, I help bakeries get more orders online, let's connect and talk about "
                    "your website!",
                    "OUTGOING",
                    OWNER_URL,
                    SAM_URL,
                ],
                [OWNER_NAME, "Jo Baker", "2/27/24, 9:00 AM", "", "OUTGOING", OWNER_URL, JO_URL],
                [
                    "Lee Cafe",
                    OWNER_NAME,
                    "2/26/24, 10:00 AM",
                    "Hi, let's connect!",
                    "INCOMING",
                    LEE_URL,
                    OWNER_URL,
                ],
            ],
        )
    if with_profile:
        _write(
            folder / "Profile.csv",
            [
                "First Name",
                "Last Name",
                "Maiden Name",
                "Address",
                "Birth Date",
                "Headline",
                "Summary",
                "Industry",
                "Zip Code",
                "Geo Location",
                "Twitter Handles",
                "Websites",
                "Instant Messengers",
            ],
            [
                [
                    "Avery",
                    "Acme",
                    "",
                    "",
                    "",
                    "Websites for bakeries",
                    "",
                    "Design",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            ],
        )
    _write(
        folder / "Connections.csv",
        ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"],
        [["Jo", "Baker", JO_URL, "", "Jo's Bakery", "Owner", "01 Mar 2024"]],
        preamble='Notes:\n"When exporting your connection data, you may notice that some '
        'of the email addresses are missing."\n\n',
    )
    return folder


# --- Reddit --------------------------------------------------------------------------------------

REDDIT_OWNER = "acme_webworks"


def write_reddit_export(folder: Path, *, with_statistics: bool = True) -> Path:
    _write(
        folder / "posts.csv",
        ["id", "permalink", "date", "ip", "subreddit", "gildings", "title", "url", "body"],
        [
            [
                "1abc01",
                "https://www.reddit.com/r/smallbusiness/comments/1abc01/lessons/",
                "2024-04-01 10:00:00 UTC",
                "",
                "smallbusiness",
                "0",
                "Lessons from building 50 bakery websites",
                "https://www.reddit.com/r/smallbusiness/comments/1abc01/lessons/",
                "Keep the menu on the first page.\nPhotos matter more than copy.",
            ],
            [
                "1abc02",
                "https://www.reddit.com/r/webdev/comments/1abc02/portfolio/",
                "2024-04-02 10:00:00 UTC",
                "",
                "webdev",
                "0",
                "Our new portfolio",
                "https://acme-webworks.example/work",
                "",
            ],
        ],
    )
    _write(
        folder / "comments.csv",
        [
            "id",
            "permalink",
            "date",
            "ip",
            "subreddit",
            "gildings",
            "link",
            "parent",
            "body",
            "media",
        ],
        [
            [
                "kx1",
                "https://www.reddit.com/r/Baking/comments/1zzz/sourdough/kx1/",
                "2024-04-03 10:00:00 UTC",
                "",
                "Baking",
                "0",
                "https://www.reddit.com/r/Baking/comments/1zzz/sourdough/",
                "t3_1zzz",
                "Nice loaf! Our agency builds websites for bakeries, DM me for 20% off: "
                "https://acme-webworks.example",
                "",
            ],
            [
                "kx2",
                "https://www.reddit.com/r/Baking/comments/1zzz/sourdough/kx2/",
                "2024-04-04 10:00:00 UTC",
                "",
                "Baking",
                "0",
                "https://www.reddit.com/r/Baking/comments/1zzz/sourdough/",
                "t1_kw9",
                "[deleted]",
                "",
            ],
        ],
    )
    _write(
        folder / "messages.csv",
        ["id", "permalink", "thread_id", "date", "ip", "from", "to", "subject", "body"],
        [
            [
                "m1",
                "https://www.reddit.com/message/messages/m1",
                "",
                "2024-04-05 09:00:00 UTC",
                "",
                REDDIT_OWNER,
                "sam_rivera",
                "Website for your bakery?",
                PITCH,
            ],
            [
                "m2",
                "https://www.reddit.com/message/messages/m2",
                "",
                "2024-04-05 10:00:00 UTC",
                "",
                "jo_baker",
                REDDIT_OWNER,
                "quote",
                "Could you quote a site for my cafe?",
            ],
            [
                "m3",
                "https://www.reddit.com/message/messages/m3",
                "m2",
                "2024-04-05 11:00:00 UTC",
                "",
                REDDIT_OWNER,
                "jo_baker",
                "re: quote",
                "Sure, here is our price list: https://acme-webworks.example/pricing",
            ],
        ],
    )
    if with_statistics:
        _write(
            folder / "statistics.csv",
            ["statistic", "value"],
            [["account name", REDDIT_OWNER], ["export time", "2024-05-01 00:00:00 UTC"]],
        )
    _write(folder / "subscribed_subreddits.csv", ["subreddit"], [["Baking"], ["webdev"]])
    return folder
