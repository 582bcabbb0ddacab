"""Reports of a result: the Excel workbook, figures and the one-page HTML page
(:func:`write_report`), and the tables and Markdown summary the command line prints.

The public names are listed in ``__all__`` and importable from here::

    from allocator.report import markdown, write_report

Everything else under ``allocator.report`` is internal and may change between releases.
"""

from allocator.report.summary import kpi_table, markdown, region_table, workforce_tables
from allocator.report.write import write_report

__all__ = ["kpi_table", "markdown", "region_table", "workforce_tables", "write_report"]
