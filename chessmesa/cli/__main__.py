from chessmesa.cli import main

main()
