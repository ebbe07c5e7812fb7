-- wrk: POST the form body given in the environment (BENCH_BODY) to the URL's path.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
