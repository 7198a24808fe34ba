from worker.cli.main import run

run()
