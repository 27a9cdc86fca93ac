"""The words the FAQ matcher drops before comparing a question with an entry.

Kept in a module of its own (it is data, and long) beside :mod:`bot.knowledge.match_words`,
which reads text into tokens.  Words that carry meaning for this knowledge base stay
out of it on purpose: negations ("cant", "dont", "not"), "who", "when", numbers.
"""

from __future__ import annotations

_GENERAL = """
    a about above after again all am an and any anything are as at be been before being
    both but by can could did do does doing done during each else ever for from get gets
    getting got had has have having he her here hers him his how i id if im in into is
    isnt it its itll ive just know let lets like me might mine more most my myself no
    nor not of off on once only or other our ours out over own please really same say
    she should so some such tell than thank thanks that thats the their theirs them then
    there these they this those through to too under until up us very want wanted was we
    were weve what whats which while will with would you your youre yours yourself hi
    hello hey dear ok okay anyone someone something could kindly wonder wondering r u
    exactly able morning afternoon evening cheers question actually honestly basically
    literally totally sorry bit quick roughly even still though because anyway guys
    everyone yes yeah ah oh hmm also plus surely definitely probably maybe perhaps
    someone somebody thing things stuff lot lots loads any way go going mean means
    whether says said well stand stands q
"""
# Contracted and reflexive pronouns, apostrophes dropped ("we'd" -> "wed").
_PRONOUNS = """
    wed ourselves themselves herself himself itself theyd youd theyve youve
    theyre hes shes itd theres
"""
STOPWORDS = frozenset(_GENERAL.split()) | frozenset(_PRONOUNS.split())
