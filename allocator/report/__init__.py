"""Reports of a result: the Excel workbook, figures and the one-page HTML page
(:func:`write_report`), the tables and Markdown summary the command line prints, and one
region's brief (:func:`area_brief`, written by :func:`write_brief`: its fair share explained by
the waterfall and the sensitivity to each need factor's blend, docs/model.md §3b).

The public names are listed in ``__all__`` and importable from here::

    from allocator.report import area_brief, markdown, write_brief, write_report

Everything else under ``allocator.report`` is internal and may change between releases.
"""

from allocator.report.brief import Brief, UnknownArea, area_brief, write_brief
from allocator.report.summary import kpi_table, markdown, region_table, workforce_tables
from allocator.report.write import write_report

__all__ = [
    "Brief",
    "UnknownArea",
    "area_brief",
    "kpi_table",
    "markdown",
    "region_table",
    "workforce_tables",
    "write_brief",
    "write_report",
]
