"""The benchmark harness of issue 9: the data set's fast writer and extra tables
(`bench.copy`, `bench.extras`, used by `manage.py generate_bench_data`), the measurements
(`python -m bench.run`, i.e. `make bench`) and the load test (`bench/locustfile.py`)."""
