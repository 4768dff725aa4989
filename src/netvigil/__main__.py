from netvigil.cli.main import main

main()
