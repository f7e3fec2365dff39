"""Realistic demo data: a year of private-domain community traces in the canonical layout.

``generate(out_dir, scale, seed, end_month)`` writes one file per table of
``qunkpi.workspace.schema.TABLES``: ``messages.parquet`` and UTF-8 CSV for the rest.

The scenario (first copy of each template; larger scales add copies of the same templates):

- ``c_fit01`` 轻食打卡营·3群 (content, WeCom, mature): daily check-ins, 21-day challenges.
- ``c_mom01`` 宝妈育儿交流群 (service, WeChat, mature): questions answered fast, high NPS.
- ``c_b2b01`` 华登家电配件工程师技术群 (leads, WeCom, growth): weekday rhythm, webinars, leads.
- ``c_flash01`` 会员福利秒杀群 (sales, WeCom, mature): staff flooding (low effective share), a
  shill account (role staff, is_staff false), 618 / Double 11 promotions, and a bad month two
  months before the end (net shrink two weeks running, churn > 5 %).
- ``c_soft01`` 软件用户服务群 (service, WeCom, mature): a fortnight of complaints four months
  before the end (又闪退了, 退款 ...).
- ``c_book01`` 读书会 (content, WeChat, startup) and ``c_new01`` 新品尝鲜团·2群 (sales, startup).
- ``c_twin01`` 二胎宝妈互助群 (service, WeChat, growth): ``archive_consent`` false (texts are
  still in the file; the importer is the one that must drop them).
- ``c_dealer01`` 华登经销商合作群 (leads, growth by age): stage set explicitly to ``mature``.
"""

from qunkpi.demo.generator import default_end_month, generate

__all__ = ["default_end_month", "generate"]
