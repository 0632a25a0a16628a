"""Pages of 数据比对: sources, batches (list, upload, a batch's counts and lines) and the search of
records. Every lookup goes through `access` / `visible_to` (outside the region: 404); an upload needs
a writer role (403) and goes through exchange/services.py."""
