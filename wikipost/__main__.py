from wikipost.cli.main import app

app(prog_name="wikipost")
