-- What Hugging Face says about a paper, kept apart from arXiv's fields (JSON object, or NULL when
-- HF never listed the paper): HF's own fields, and its copy of the bibliographic ones, used only
-- where arXiv has said nothing. Papers imported before this kept HF's title and authors where HF
-- was imported last; importing the arXiv listings again restores arXiv's.
ALTER TABLE papers ADD COLUMN hugging_face TEXT;
