/* Search suggestions: the search helper fills this file. */
