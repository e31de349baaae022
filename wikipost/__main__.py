from wikipost.cli.main import app

app()
