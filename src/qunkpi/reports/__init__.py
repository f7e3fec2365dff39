"""Reports (SPEC §8): one self-contained HTML file, an Excel workbook with native charts, a PDF.

``write_html_report``, ``write_xlsx_report`` and ``write_pdf_report`` take ``(ws, period, out_path,
communities=None)`` and return the path written; the numbers come from :mod:`qunkpi.reports.data`.
"""

from __future__ import annotations
