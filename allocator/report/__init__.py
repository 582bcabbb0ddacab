"""Reports of a result: tables, Excel workbook, HTML page, figures and maps, text summaries."""
