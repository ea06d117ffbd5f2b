"""Featured collections: staff-curated, scheduled sets of products shown on the home page
(hero banner, product rows) and on category pages, a public page per collection, the
JSON API and a printable trade-fair catalogue."""
