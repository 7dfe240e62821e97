"""Knowledge: a desk's articles (and, later, search over requests and articles)."""
