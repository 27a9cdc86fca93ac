"""Text normalisation shared by the FAQ matcher and the hub finder."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z£]+")
# Lone surrogates (\ud800-\udfff) are not characters: JSON's "\\ud800" escape makes one, and
# no UTF-8 encoder (SQLite, the session digest, an email) accepts it.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def strip_control(text: str) -> str:
    """Remove control and bidi-override characters and lone surrogates, keeping newlines
    and tabs."""
    return _CONTROL.sub("", text)


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("’", "'").replace("'", "").replace("&", " and ")
    text = text.replace("£", " £")
    return " ".join(_NON_WORD.sub(" ", text).split())


def stem(word: str) -> str:
    """A deliberately light stemmer: plurals and a few verb endings."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) > 5:
        return word[:-3]
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


# Chat spellings that no knowledge base should have to list: rewritten word by word
# before synonyms, so "hw much r the fees" reads as "how much are the fees".
TEXT_SPEAK = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "hw": "how",
    "wat": "what",
    "wot": "what",
    "wht": "what",
    "whn": "when",
    "whens": "when is",
    "wheres": "where is",
    "whos": "who is",
    "hows": "how is",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "ty": "thanks",
    "tho": "though",
    "thru": "through",
    "bc": "because",
    "cos": "because",
    "coz": "because",
    "b4": "before",
    "2day": "today",
    "tmrw": "tomorrow",
    "yr": "year",
    "yrs": "years",
    "wk": "week",
    "wks": "weeks",
    "dept": "department",
    "depts": "departments",
    "prog": "programme",
    "cohrot": "cohort",
    "cohot": "cohort",
    "cohart": "cohort",
    "cohrt": "cohort",
    "chort": "cohort",
    "cohorot": "cohort",
    "progs": "programmes",
    "cn": "can",
    "wen": "when",
    "hv": "have",
    "abt": "about",
    "wud": "would",
    "cud": "could",
    "shud": "should",
    "ppl": "people",
    "sch": "school",
    "schl": "school",
    "progamme": "programme",
    "programe": "programme",
    "apps": "applications",
    "app": "application",
    "info": "information",
    "govs": "governors",
    "obs": "observations",
    "sposed": "supposed",
    "gonna": "going to",
    "wanna": "want to",
    "dunno": "do not know",
    "cant": "can not",
    "cannot": "can not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "im": "i am",
    "ive": "i have",
    "id": "i would",
    "theres": "there is",
    "whats": "what is",
    "thats": "that is",
    "hod": "head of department",
    "hods": "heads of department",
    "2ic": "second in department",
    "2i c": "second in department",
    "tbh": "",
    "ngl": "",
    "lol": "",
    "fyi": "",
    "imo": "",
    "btw": "",
    # Numbers as digits, so "two years" and "2 yrs" read alike.
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}


_SENTENCE_END = re.compile(
    r"(?<=[?!])\s*|(?<![0-9])\.(?![0-9])\s*|[;\n]+\s*|\s+-\s+|\s+\+\s+|\s*\(\s*|\s*\)\s*"
)
# Where a second question starts inside one sentence: "... cost and whats the deadline".
_SECOND_QUESTION = re.compile(
    r",?\s+(?:and|also|plus)\s+(?:also\s+)?(?=(?:what|whats|wat|when|whens|how|hw|who|whos|where|why|which|"
    r"is|are|do|does|did|can|could|will|would|should|has|have)\b)",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:so|and|but|also|ok|okay|hi|hello|hey|also|just|quick question|sorry|um+|erm+)?[,\s]*"
    r"(?:what|whats|wat|when|whens|how|hw|who|whos|where|wheres|why|which|is|isnt|are|arent|do|"
    r"does|doesnt|dont|did|can|cant|could|will|would|should|shall|has|have|am|any|anything|"
    r"tell|explain)\b",
    re.IGNORECASE,
)

# A question asked as a statement: "I've been asked to find out what we're committing to".
_INDIRECT_QUESTION = re.compile(
    r"\b(?:find out|finding out|wondering|wondered|want(?:s|ed)? to know|need(?:s|ed)? to know|"
    r"like to know|keen to know|let me know|tell me|not sure (?:what|whether|if|how|when|who)|"
    r"whether|any idea|no idea (?:what|whether|if|how|when))\b",
    re.IGNORECASE,
)


def segments(text: str) -> list[tuple[str, bool]]:
    """The message's sentences and clauses, each with whether it reads as a question.

    A teacher's message often wraps its question in context ("HoD here and drowning.")
    or asks two things at once ("cost and whats the deadline"); each part is matched
    on its own as well as the whole message.
    """
    parts: list[tuple[str, bool]] = []
    for match in re.finditer(r"[^?!]*[?!]+|[^?!]+$", text):
        chunk = match.group(0)
        asked = "?" in chunk
        pieces = [p for p in _SENTENCE_END.split(chunk) if p and p.strip(" ,.?!:+")]
        for position, piece in enumerate(pieces):
            for clause in _SECOND_QUESTION.split(piece):
                clause = clause.strip(" ,.?!:+")
                if not clause:
                    continue
                last = position == len(pieces) - 1
                indirect = _INDIRECT_QUESTION.search(clause)
                if indirect and clause[indirect.end() :].strip(" ,.?!:+"):
                    # Only what is asked: "I've been asked to find out" is not part of it.
                    clause = clause[indirect.end() :].strip(" ,.?!:+")
                parts.append(
                    (clause, (asked and last) or bool(indirect or _QUESTION_START.match(clause)))
                )
    return parts
