from datetime import date
from pathlib import Path
from tests.complaints.test_statistics import *  # noqa
from tests.complaints.test_statistics import febmar, studio, rf_request  # noqa

def test_shot(febmar, rf_request):
    s = febmar.studio
    html = render_to_string("complaints/statistics.html", {
        "stats": stats_of(s.supervisor), "start": START, "end": END,
        "stores": [s.store, febmar.other_store], "store": s.store,
        "query": "start=2025-02-01&end=2025-03-31", "measure_month": date(2025, 3, 1),
        "measure_text": "三月：客服话术培训",
    }, request=rf_request)
    base = Path("/work/main")
    html = (html.replace("/static/vendor/bootstrap/", f"file://{base}/node_modules/bootstrap/dist/")
            .replace("/static/vendor/echarts/", f"file://{base}/node_modules/echarts/dist/")
            .replace("/static/vendor/bootstrap-icons/", f"file://{base}/node_modules/bootstrap-icons/font/"))
    Path("/tmp/stats_shot.html").write_text(html)
