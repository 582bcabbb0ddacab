"""Files in and out: instance files (JSON, Excel, CSV), result files, atomic writes. Imports only
allocator.core.
"""
