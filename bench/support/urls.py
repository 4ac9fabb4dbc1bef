from django.urls import path

from bench.support.views import bare_insert, ping
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/bare-insert/", bare_insert, name="bench-bare-insert"),
    path("bench/ping/", ping, name="bench-ping"),
    *project_urlpatterns,
]
