"""The web app for policy teams (``allocator app``): a Streamlit page over the public API.

- :mod:`allocator.app.logic`: everything the page does that is not drawing (reading uploads,
  edits, headline, comparisons, sessions, relaxations); tested without a browser.
- :mod:`allocator.app.adapters`: the only imports of package internals (the report writer,
  the workbook writer and the shadow-price sentences), so that they can be repointed in one place.
- :mod:`allocator.app.page`: the Streamlit script.
- :mod:`allocator.app.server`: how ``allocator app`` starts Streamlit (address, port, limits).
"""
