"""Index keys: the label columns that name an element of the model's sets, defined once.

Every table of :mod:`specialeplan.model.sets` (and every results table built from them)
identifies its rows by one of these column lists; families label their variable and row
blocks with them, and the solution, the analyses and the checker merge on them. They are
lists because pandas selects and merges columns by list; never change one in place (build a
new list, ``[*PS, "cases"]``).
"""

#: a competence pair (p, s): provider p and speciale s (``pairs``; y, r, X, m)
PS = ["provider_id", "function"]
#: municipality k and speciale s (``dem``, ``need``; u, q, z)
KS = ["municipality_code", "function"]
#: a travel pair (k, p): municipality k and provider p (``provider_travel``)
KP = ["municipality_code", "provider_id"]
#: (k, p, s): a local tilbud l in k (``local``; g)
KPS = ["municipality_code", "provider_id", "function"]
#: an assignment arc (k, p, s, mode): physical or outreach delivery (``arcs``; x)
KPSM = [*KPS, "mode"]
#: a rådgivning need (k, S): municipality k and speciale S (``need``; q) — the rådgivning
#: duty is per speciale (seed 002): any rådgivningsfunktion of the speciale may advise
KR = ["municipality_code", "speciale"]
#: a reach arc (k, p, s, S): pair (p, s) advises municipality k on speciale S, one of the
#: specialer that function s belongs to (``reach``, ``coach``; v, h)
KPR = [*KPS, "speciale"]
#: (k, s, S): near-family help for function s in k routed to the coaching node (k, S) of
#: one of s's specialer (``split``; w)
KSR = [*KS, "speciale"]
